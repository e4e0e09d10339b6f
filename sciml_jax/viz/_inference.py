"""Figures of simulation-based inference: posterior pair plots, SBC rank histograms."""

from collections.abc import Mapping, Sequence

import numpy as np


def plot_posterior_pairs(
    samples: Mapping[str, object],
    *,
    truth=None,
    labels: Sequence[str] | None = None,
    limits: Sequence[tuple[float, float]] | None = None,
    max_points: int = 2000,
    bins: int = 40,
    title: str = "posterior",
):
    """A corner plot of posterior samples: marginal histograms on the diagonal, scatter
    of each pair below it, one colour per sample set `{label: (n, d) array}`.

    **Arguments:**

    - `samples`: e.g. `{"reference": ref, "NPE 10^4": est}`; the first sets the limits.
    - `truth`: `(d,)` true parameters, drawn as lines and a star.
    - `labels`: `d` axis names (default `theta_1..theta_d`).
    - `limits`: `d` pairs `(low, high)` (default the first set's 0.5-99.5 % range).
    - `max_points`: scatter points per set and panel (histograms use all samples).

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    sets = {k: np.asarray(v, np.float64) for k, v in samples.items()}
    first = next(iter(sets.values()))
    d = first.shape[1]
    labels = list(labels) if labels is not None else [f"$\\theta_{i + 1}$" for i in range(d)]
    if limits is None:
        low, high = np.percentile(first, 0.5, 0), np.percentile(first, 99.5, 0)
        pad = 0.1 * (high - low)
        limits = list(zip(low - pad, high + pad, strict=True))
    size = min(2.0 * d, 14.0)
    figure, axes = plt.subplots(d, d, figsize=(size, size), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i in range(d):
        for j in range(d):
            axis = axes[i, j]
            if j > i:
                axis.set_visible(False)
                continue
            for c, (name, s) in enumerate(sets.items()):
                colour = colours[c % len(colours)]
                if i == j:
                    axis.hist(
                        s[:, i],
                        bins=bins,
                        range=limits[i],
                        density=True,
                        histtype="step",
                        color=colour,
                        label=name,
                    )
                else:
                    pick = s[:max_points]
                    axis.scatter(pick[:, j], pick[:, i], s=1, alpha=0.3, color=colour)
            if truth is not None:
                t = np.asarray(truth)
                axis.axvline(t[j], color="k", lw=0.8)
                if i != j:
                    axis.plot(t[j], t[i], "k*", ms=6)
            axis.set_xlim(limits[j])
            if i != j:
                axis.set_ylim(limits[i])
            else:
                axis.set_yticks([])
            if i == d - 1:
                axis.set_xlabel(labels[j])
            else:
                axis.set_xticklabels([])
            if j == 0 and i > 0:
                axis.set_ylabel(labels[i])
            elif j > 0:
                axis.set_yticklabels([])
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.05, 1.0))
    figure.suptitle(title)
    return figure


def plot_sbc_ranks(ranks, num_posterior_samples: int, *, bins: int = 20, labels=None, title="SBC"):
    """Histograms of simulation-based calibration ranks, one panel per parameter, with
    the uniform expectation and its 99 % band (binomial) shaded.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt
    from scipy import stats

    ranks = np.asarray(ranks)
    n, d = ranks.shape
    labels = list(labels) if labels is not None else [f"$\\theta_{i + 1}$" for i in range(d)]
    cols = min(d, 5)
    rows = -(-d // cols)
    figure, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.2 * rows), squeeze=False)
    edges = np.linspace(0, num_posterior_samples + 1, bins + 1)
    low, high = stats.binom(n, 1 / bins).ppf([0.005, 0.995])
    for k, axis in enumerate(axes.flat):
        if k >= d:
            axis.set_visible(False)
            continue
        axis.axhspan(low, high, color="0.85")
        axis.axhline(n / bins, color="0.5", lw=0.8)
        axis.hist(ranks[:, k], bins=edges, histtype="step", color="C0")
        axis.set_title(labels[k], fontsize=9)
        axis.set_yticks([])
    figure.suptitle(title)
    figure.tight_layout()
    return figure
