"""Figures of simulation-based inference: posterior pair plots, SBC rank histograms,
power spectra of generated fields."""

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


def plot_power_spectra(
    bands,
    true_power,
    spectra: Mapping[str, object],
    *,
    samples: Mapping[str, object] | None = None,
    title: str = "radially averaged power spectrum",
):
    """Generated fields' radially averaged power spectra against the true covariance
    spectrum: the spectra on log axes, their relative errors per band below, and
    optionally one sample field per set in a row of panels.

    **Arguments:**

    - `bands`: the integer wavenumber bands ``round(|k|)``.
    - `true_power`: the covariance's mean eigenvalue per band.
    - `spectra`: `{label: power per band}`, e.g. `{"reverse SDE": p_sde, "ODE": p_ode}`.
    - `samples`: `{label: one 2D field}` drawn beside the spectra (optional).

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    bands, true_power = np.asarray(bands), np.asarray(true_power, np.float64)
    fields = dict(samples or {})
    columns = 1 + len(fields)
    figure = plt.figure(figsize=(4.5 + 3.0 * len(fields), 6.0))
    grid = figure.add_gridspec(2, columns, width_ratios=[1.5] + [1.0] * len(fields))
    top, bottom = figure.add_subplot(grid[0, 0]), figure.add_subplot(grid[1, 0])
    shown = bands > 0  # the log axis cannot show band 0; its error is in the lower panel
    top.loglog(bands[shown], true_power[shown], "k-", lw=2, label="true covariance")
    for name, power in spectra.items():
        power = np.asarray(power, np.float64)
        top.loglog(bands[shown], power[shown], "o--", ms=3, label=name)
        bottom.plot(bands, power / true_power - 1.0, "o-", ms=3, label=name)
    bottom.axhline(0.0, color="k", lw=1)
    for level in (-0.1, 0.1):
        bottom.axhline(level, color="0.6", ls=":", lw=1)
    top.set(ylabel="power $E|c_k|^2$", title=title)
    bottom.set(xlabel="wavenumber band $|k|$", ylabel="relative error")
    top.legend(fontsize=8)
    for i, (name, field) in enumerate(fields.items()):
        axis = figure.add_subplot(grid[:, i + 1])
        image = axis.imshow(np.asarray(field).T, origin="lower", cmap="RdBu_r")
        axis.set(title=name, xticks=[], yticks=[])
        figure.colorbar(image, ax=axis, shrink=0.6)
    figure.tight_layout()
    return figure
