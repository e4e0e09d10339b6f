"""Figures of learned potentials show the numbers they claim to show."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sciml_jax.viz import plot_learning_curves, plot_parity


def test_parity_titles_carry_the_mean_absolute_error():
    reference = np.array([0.0, 1.0, 2.0, 3.0])
    predicted = reference + np.array([0.1, -0.3, 0.2, 0.0])  # MAE 0.15
    figure = plot_parity(
        {"energy": (reference, predicted, "eV"), "force": (reference, reference, "eV/Å")}
    )
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["energy: MAE 0.15 eV", "force: MAE 0 eV/Å"]
    plt.close(figure)


def test_learning_curves_plot_the_given_points_on_log_axes():
    sizes = [1000, 5000, 20000]
    figure = plot_learning_curves(
        sizes, {"schnet": [80.0, 40.0, 20.0], "krr": [300.0, 200.0, 120.0]}
    )
    (axis,) = figure.axes
    assert axis.get_xscale() == "log" and axis.get_yscale() == "log"
    lines = {line.get_label(): line for line in axis.get_lines()}
    np.testing.assert_array_equal(lines["schnet"].get_xdata(), sizes)
    np.testing.assert_array_equal(lines["krr"].get_ydata(), [300.0, 200.0, 120.0])
    plt.close(figure)
    with pytest.raises(ValueError, match="curve 'krr' has 2 errors for 3 sizes"):
        plot_learning_curves(sizes, {"krr": [1.0, 2.0]})
