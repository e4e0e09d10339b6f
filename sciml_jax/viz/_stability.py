"""Figures of linear stability: amplification factors, rollout growth, classifier errors."""

from collections.abc import Mapping

import numpy as np


def plot_amplification_factors(
    wavenumber,
    analysis: Mapping[str, object],
    closed_form: Mapping[str, object],
    *,
    xlabel: str = "k / N",
    title: str = "amplification factor per Fourier mode",
):
    """Amplification factors $\\lambda_k$ of a linear step against wavenumber: the
    analysed ones `{label: lambda}` as markers over the closed form `{label: lambda}`
    (same labels) as lines; dotted lines at $\\lambda = \\pm 1$, the stability bounds.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    wavenumber = np.asarray(wavenumber)
    for index, (label, values) in enumerate(closed_form.items()):
        colour = f"C{index % 10}"
        axis.plot(wavenumber, np.asarray(values), "-", color=colour, label=f"{label}: closed form")
        if label in analysis:
            axis.plot(
                wavenumber,
                np.asarray(analysis[label]),
                "o",
                ms=3,
                mfc="none",
                color=colour,
                label=f"{label}: fourier_symbol",
            )
    for bound in (-1.0, 1.0):
        axis.axhline(bound, color="k", ls=":", lw=1)
    axis.set_xlabel(xlabel)
    axis.set_ylabel("amplification factor")
    axis.set_title(title)
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=7)
    return figure


def plot_rollout_growth(
    ratios,
    growth,
    *,
    analysis=None,
    analysis_label: str = "analysis: max |lambda_k|",
    limits: Mapping[str, float] | None = None,
    xlabel: str = "a dt / dx^2",
    title: str = "rollout growth",
):
    """Observed growth factor per step of a rolled-out linear step against the step-size
    ratio (markers), the analysis's prediction `analysis` (a line, `analysis_label`) and
    vertical lines at
    `limits` `{label: ratio}` (the CFL limit, the analysed and the observed limits).

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    ratios = np.asarray(ratios)
    axis.plot(ratios, np.asarray(growth), "o", ms=3, label="rollout: (|x_T| / |x_0|)^(1/T)")
    if analysis is not None:
        axis.plot(ratios, np.asarray(analysis), "k-", lw=1, label=analysis_label)
    axis.axhline(1.0, color="k", ls=":", lw=1)
    styles = ("--", "-.", ":")
    for index, (label, value) in enumerate((limits or {}).items()):
        axis.axvline(value, color=f"C{index + 1}", ls=styles[index % 3], label=label)
    axis.set_xlabel(xlabel)
    axis.set_ylabel("growth factor per step")
    axis.set_title(title)
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=7)
    return figure


def plot_error_by_margin(
    edges,
    error_rates: Mapping[str, object],
    *,
    counts=None,
    xlabel: str = "|max Re lambda|",
    title: str = "classifier errors by distance to the stability boundary",
):
    """Error rate per bin of the distance to a decision boundary (bin `edges`, the last
    may be `inf`), one step curve per model `{label: rates}`; `counts` (samples per bin)
    drawn as bars on a second axis when given. Bins are plotted at equal widths, labelled
    with their edges, so logarithmic bins read evenly.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    edges = np.asarray(edges, float)
    positions = np.arange(len(edges) - 1)
    figure, axis = plt.subplots(figsize=(7, 4))
    if counts is not None:
        twin = axis.twinx()
        twin.bar(positions, np.asarray(counts, float), width=0.9, alpha=0.15, color="C7")
        twin.set_ylabel("held-out systems per bin")
        axis.set_zorder(twin.get_zorder() + 1)
        axis.patch.set_visible(False)
    for label, rates in error_rates.items():
        axis.plot(positions, 100 * np.asarray(rates, float), "o-", ms=4, label=label)
    names = [
        f"{lo:g}-{hi:g}" if np.isfinite(hi) else f">{lo:g}"
        for lo, hi in zip(edges[:-1], edges[1:], strict=True)
    ]
    axis.set_xticks(positions, names, rotation=30, fontsize=8)
    axis.set_xlabel(xlabel)
    axis.set_ylabel("error rate (%)")
    axis.set_title(title)
    axis.grid(True, alpha=0.3)
    axis.legend()
    return figure
