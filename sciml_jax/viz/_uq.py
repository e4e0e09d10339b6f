"""Figures of uncertainty: coverage curves, reliability diagrams, predictive bands."""

from collections.abc import Mapping

import numpy as np


def plot_coverage_curve(nominal, empirical: Mapping[str, object], *, title: str = "coverage curve"):
    """Empirical against nominal coverage of central intervals, one curve per model
    `{label: empirical}`; the diagonal is perfect calibration.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(4.5, 4.5))
    axis.plot([0, 1], [0, 1], "k:", label="calibrated")
    for label, values in empirical.items():
        axis.plot(np.asarray(nominal), np.asarray(values), "o-", ms=3, label=label)
    axis.set_xlabel("nominal coverage (confidence level)")
    axis.set_ylabel("empirical coverage")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_title(title)
    axis.grid(True, alpha=0.3)
    axis.legend()
    return figure


def plot_reliability_diagram(
    expected,
    observed: Mapping[str, object],
    *,
    counts=None,
    labels: tuple[str, str] = ("expected probability", "observed frequency"),
    title: str = "reliability diagram",
):
    """Observed frequency against forecast probability (binned event forecasts, or the
    PIT quantile levels of a predictive), one curve per model `{label: observed}`;
    `counts` (per bin) are drawn as a histogram underneath when given.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(4.5, 4.5))
    axis.plot([0, 1], [0, 1], "k:", label="calibrated")
    expected = np.asarray(expected)
    for label, values in observed.items():
        values = np.asarray(values)
        keep = np.isfinite(values) & np.isfinite(expected)
        axis.plot(expected[keep], values[keep], "s-", ms=3, label=label)
    if counts is not None:
        counts = np.asarray(counts, float)
        twin = axis.twinx()
        edges = np.linspace(0, 1, len(counts) + 1)
        twin.bar(edges[:-1], counts, width=np.diff(edges), align="edge", alpha=0.15, color="C7")
        twin.set_ylabel("forecasts per bin")
    axis.set_xlabel(labels[0])
    axis.set_ylabel(labels[1])
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_title(title)
    axis.grid(True, alpha=0.3)
    axis.legend(loc="upper left")
    return figure


def plot_predictive_band(
    x,
    mean,
    std,
    *,
    reference=None,
    data: Mapping[str, tuple] | None = None,
    labels: tuple[str, str] = ("x", "y"),
    title: str = "",
    num_std: float = 2.0,
):
    """A predictive mean with a `mean +- num_std std` band over a `reference` curve and
    labelled training data `{label: (x, y)}`.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    x, mean, std = np.asarray(x), np.asarray(mean), np.asarray(std)
    figure, axis = plt.subplots(figsize=(6, 4))
    if reference is not None:
        axis.plot(x, np.asarray(reference), "k:", label="truth")
    axis.plot(x, mean, "C0", label="predictive mean")
    axis.fill_between(
        x,
        mean - num_std * std,
        mean + num_std * std,
        alpha=0.25,
        color="C0",
        label=f"mean +- {num_std:g} std",
    )
    for i, (label, (xd, yd)) in enumerate((data or {}).items()):
        axis.plot(np.asarray(xd), np.asarray(yd), "o^sv"[i % 4], ms=5, label=label)
    axis.set_xlabel(labels[0])
    axis.set_ylabel(labels[1])
    axis.set_title(title)
    axis.legend()
    return figure


def plot_function_bands(x, u, prediction, lower, upper, *, labels=("x", "u"), title: str = ""):
    """Conformal bands of function-valued predictions: for each sample (rows of the
    arrays, at most 3 drawn) the truth, prediction and band `[lower, upper]`.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x)
    count = min(3, len(u))
    figure, axes = plt.subplots(1, count, figsize=(4 * count, 3.2), squeeze=False)
    for i, axis in enumerate(axes[0]):
        axis.fill_between(x, np.asarray(lower[i]), np.asarray(upper[i]), alpha=0.3, label="band")
        axis.plot(x, np.asarray(u[i]), "k", lw=1, label="truth")
        axis.plot(x, np.asarray(prediction[i]), "C1--", lw=1, label="prediction")
        axis.set_xlabel(labels[0])
        axis.set_ylabel(labels[1])
        axis.set_title(f"{title} sample {i}".strip())
    axes[0][0].legend()
    return figure
