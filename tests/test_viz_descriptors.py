"""Figures of descriptor workflows draw the numbers they are given and are written."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgba

from sciml_jax.train import RunDir
from sciml_jax.viz import plot_clusters_and_shapley, plot_tolerance_and_power_law


def test_tolerance_bars_sorted_and_power_law_fit_drawn(tmp_path):
    tolerance = {"BaTiO3": (1.06, True), "MgTiO3": (0.86, False), "SrTiO3": (1.0, True)}
    x = np.array([30.0, 60.0, 120.0])
    y = 2.0 * x**3
    figure = plot_tolerance_and_power_law(
        tolerance, (0.8, 1.065), ["H", "C", "Cs"], x, y, exponent=3.0, constant=2.0, r2_log=1.0
    )
    bars_axis, law_axis = figure.axes
    (bars,) = bars_axis.containers
    np.testing.assert_allclose([b.get_width() for b in bars], [0.86, 1.0, 1.06])
    labels = [t.get_text() for t in bars_axis.get_yticklabels()]
    assert labels == ["MgTiO3", "SrTiO3", "BaTiO3"]
    colours = ["tab:red", "tab:blue", "tab:blue"]  # MgTiO3, an ilmenite, is not a perovskite
    assert [b.get_facecolor() for b in bars] == [to_rgba(c) for c in colours]
    assert law_axis.get_xscale() == "log" and law_axis.get_yscale() == "log"
    points, fit = law_axis.get_lines()
    np.testing.assert_array_equal(points.get_ydata(), y)
    np.testing.assert_allclose(fit.get_ydata(), 2.0 * fit.get_xdata() ** 3)
    assert fit.get_label() == "fit: k = 3.00, R^2(log) = 1.00"
    assert {t.get_text() for t in law_axis.texts} == {"H", "C", "Cs"}

    run = RunDir(tmp_path / "run")
    path = run.save_figure(figure, "perovskites_power_law")
    assert path == run.figures_dir / "perovskites_power_law.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cluster_scan_and_mean_absolute_shapley_bars(tmp_path):
    eps, n_clusters, noise = [2.0, 4.0, 8.0], [12, 5, 1], [0.6, 0.2, 0.0]
    attributions = {
        "ridge": np.array([[1.0, -2.0], [-3.0, 4.0]]),  # mean |phi| = (2, 3)
        "krr": np.array([[0.5, 0.1], [0.5, -0.3]]),  # mean |phi| = (0.5, 0.2)
    }
    figure = plot_clusters_and_shapley(eps, n_clusters, noise, ["n_H", "n_C"], attributions)
    scan, bars_axis, twin = figure.axes
    np.testing.assert_array_equal(scan.get_lines()[0].get_ydata(), n_clusters)
    np.testing.assert_array_equal(twin.get_lines()[0].get_ydata(), noise)
    heights = [b.get_height() for b in bars_axis.patches]
    np.testing.assert_allclose(heights, [2.0, 3.0, 0.5, 0.2])
    np.testing.assert_allclose(
        [b.get_x() + b.get_width() / 2 for b in bars_axis.patches], [-0.2, 0.8, 0.2, 1.2]
    )
    assert bars_axis.get_yscale() == "log"
    path = RunDir(tmp_path / "run").save_figure(figure, "qm9_clusters_shapley")
    assert path.stat().st_size > 0
    plt.close("all")
