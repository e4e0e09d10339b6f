"""The roofline figure: measured steps against a device's two ceilings."""

from collections.abc import Mapping


def plot_roofline(points: Mapping, peaks, *, title: str = ""):
    """Log-log roofline: attainable FLOP/s against arithmetic intensity, one point per step.

    The roof is $\\min(P_\\text{peak}, I \\cdot B_\\text{peak})$: a bandwidth slope up to
    the ridge point $I^* = P_\\text{peak} / B_\\text{peak}$, then the flat compute ceiling.
    A point's height below the roof is how far the step is from either limit.

    **Arguments:**

    - `points`: `{label: Roofline}` (from `sciml_jax.analysis.roofline`), or
      `{label: (arithmetic_intensity, flops_per_s)}`.
    - `peaks`: a `DevicePeaks` (from `sciml_jax.analysis.measure_peaks`).
    - `title`: the axes title (default: the device).

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    coordinates = {}
    for label, point in points.items():
        if isinstance(point, tuple):
            coordinates[label] = (float(point[0]), float(point[1]))
        else:
            coordinates[label] = (point.arithmetic_intensity, point.flops_per_s)
    ridge = peaks.flops_per_s / peaks.bytes_per_s
    intensities = [i for i, _ in coordinates.values() if i > 0] + [ridge]
    low, high = min(intensities) / 10, max(intensities) * 10
    x = np.geomspace(low, high, 200)
    figure, axis = plt.subplots(figsize=(7, 4.5))
    axis.loglog(x, np.minimum(peaks.flops_per_s, x * peaks.bytes_per_s), "k-", lw=2)
    axis.loglog(
        x, x * peaks.bytes_per_s, "k:", lw=1, label=f"bandwidth {peaks.bytes_per_s / 1e9:.3g} GB/s"
    )
    axis.axhline(
        peaks.flops_per_s,
        color="k",
        ls="--",
        lw=1,
        label=f"peak {peaks.flops_per_s / 1e9:.3g} GFLOP/s",
    )
    axis.axvline(ridge, color="0.6", lw=0.8, label=f"ridge {ridge:.3g} flop/B")
    for label, (intensity, rate) in coordinates.items():
        axis.loglog([intensity], [rate], "o")
        axis.annotate(
            label, (intensity, rate), textcoords="offset points", xytext=(5, 4), fontsize=8
        )
    axis.set_xlim(low, high)
    axis.set_xlabel("arithmetic intensity (flop / byte, XLA cost analysis)")
    axis.set_ylabel("FLOP/s")
    axis.set_title(title or f"roofline: {peaks.device}")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure
