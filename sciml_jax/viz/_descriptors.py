"""Figures of descriptor workflows: tolerance factors beside a fitted power law, DBSCAN
scans beside Shapley attributions."""

from collections.abc import Mapping, Sequence

import numpy as np

ANNOTATED_ELEMENTS = frozenset({"H", "He", "Li", "Cs", "Ne", "C", "O", "Fr", "Rn", "Au", "Hg"})


def plot_tolerance_and_power_law(
    tolerance: Mapping[str, tuple[float, bool]],
    window: tuple[float, float],
    symbols: Sequence[str],
    x,
    y,
    *,
    exponent: float,
    constant: float,
    r2_log: float,
    annotate: frozenset[str] = ANNOTATED_ELEMENTS,
    xlabel: str = "covalent radius (pm)",
    ylabel: str = "dipole polarizability (bohr^3)",
):
    """Two panels. Left: the Goldschmidt tolerance factor of each compound,
    `tolerance = {formula: (t, is_perovskite)}`, as bars sorted by t (blue: a perovskite,
    red: not) over the grey band `window` classified perovskite. Right: the points
    `(x, y)` of the elements `symbols` on log-log axes with the fit
    $y = c\\,x^k$ (`constant`, `exponent`, and its `r2_log` in the legend); the
    elements in `annotate` are labelled.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    order = sorted(tolerance, key=lambda formula: tolerance[formula][0])
    colours = ["tab:blue" if tolerance[f][1] else "tab:red" for f in order]
    left.barh(range(len(order)), [tolerance[f][0] for f in order], color=colours)
    left.set_yticks(range(len(order)), order, fontsize=7)
    left.axvspan(*window, color="0.9", zorder=0)
    left.set_xlim(0.65, 1.2)
    left.set_xlabel("Goldschmidt tolerance factor t (Shannon radii)")
    left.set_title("blue: perovskite, red: not; grey band: classified perovskite")
    x, y = np.asarray(x), np.asarray(y)
    right.loglog(x, y, "o", ms=4)
    grid = np.geomspace(x.min(), x.max(), 50)
    label = f"fit: k = {exponent:.2f}, R^2(log) = {r2_log:.2f}"
    right.loglog(grid, constant * grid**exponent, "k-", label=label)
    for s, xi, yi in zip(symbols, x, y, strict=True):
        if s in annotate:
            right.annotate(s, (xi, yi), fontsize=7)
    right.set_xlabel(xlabel)
    right.set_ylabel(ylabel)
    right.legend()
    right.set_title("elements: alpha = c r^k")
    figure.tight_layout()
    return figure


def plot_clusters_and_shapley(
    eps, n_clusters, noise_fraction, feature_names: Sequence[str], attributions: Mapping
):
    """Two panels. Left: the clusters DBSCAN finds and its noise fraction (right axis)
    against `eps`. Right: the mean absolute Shapley value of each feature, one bar group
    per model `attributions = {label: values (samples, features)}`, on a log axis.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.plot(eps, n_clusters, "o-", label="clusters")
    twin = left.twinx()
    twin.plot(eps, noise_fraction, "s--", color="tab:red")
    twin.set_ylabel("noise fraction", color="tab:red")
    left.set_xlabel("DBSCAN eps (Coulomb eigenvalue distance)")
    left.set_ylabel("clusters")
    left.set_title("QM9 sample: DBSCAN on Coulomb-matrix spectra")
    positions, width = np.arange(len(feature_names)), 0.8 / len(attributions)
    shifts = (np.arange(len(attributions)) - (len(attributions) - 1) / 2) * width
    for shift, (label, values) in zip(shifts, attributions.items(), strict=True):
        right.bar(positions + shift, np.abs(values).mean(0), width=width, label=label)
    right.set_xticks(positions, feature_names, rotation=45, fontsize=8)
    right.set_yscale("log")
    right.set_ylabel("mean |Shapley value| (eV)")
    right.set_title("U0 models: exact Shapley attributions")
    right.legend()
    figure.tight_layout()
    return figure
