"""Figures of generated particle clusters: energy and pair-distance histograms against MD."""

from collections.abc import Mapping

import numpy as np


def plot_cluster_histograms(
    energies: Mapping[str, object],
    pair_distances: Mapping[str, object],
    *,
    bins: int = 50,
    title: str = "",
    energy_unit: str = "ε",
    length_unit: str = "σ",
):
    """Histograms of potential energy (left) and pair distance (right) as densities, one
    outline per set `{label: values}`; the first set (the reference, e.g. MD) fixes the
    ranges (its 0.1-99.9 % range, padded). Each set is normalised over all its values, so
    the area drawn is the fraction inside the range; the label gives the fraction outside.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, sets, name in (
        (axes[0], energies, f"potential energy ({energy_unit})"),
        (axes[1], pair_distances, f"pair distance ({length_unit})"),
    ):
        arrays = {k: np.asarray(v, np.float64).ravel() for k, v in sets.items()}
        first = next(iter(arrays.values()))
        low, high = np.percentile(first, [0.1, 99.9])
        pad = 0.25 * (high - low)
        edges = np.linspace(low - pad, high + pad, bins + 1)
        for label, values in arrays.items():
            outside = np.mean((values < edges[0]) | (values > edges[-1]))
            weight = 1.0 / (values.size * (edges[1] - edges[0]))
            axis.hist(
                values,
                edges,
                weights=np.full(values.size, weight),
                histtype="step",
                lw=1.5,
                label=f"{label} ({100 * outside:.1f} % outside)",
            )
        axis.set_xlabel(name)
        axis.set_ylabel("density")
        axis.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure
