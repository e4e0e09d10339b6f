"""Figures for learned potentials: parity of predictions, energy-volume scans."""

from collections.abc import Mapping

import numpy as np


def plot_parity(panels: Mapping[str, tuple], *, title: str = ""):
    """One scatter panel per `label: (reference, predicted, unit)`, with the diagonal and
    the mean absolute error in the panel's title.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4), squeeze=False)
    for axis, (label, (reference, predicted, unit)) in zip(axes[0], panels.items(), strict=True):
        reference, predicted = np.ravel(reference), np.ravel(predicted)
        low, high = min(reference.min(), predicted.min()), max(reference.max(), predicted.max())
        axis.plot([low, high], [low, high], "k", lw=0.7)
        axis.scatter(reference, predicted, s=4, alpha=0.5)
        mae = np.mean(np.abs(predicted - reference))
        axis.set_title(f"{label}: MAE {mae:.3g} {unit}")
        axis.set_xlabel(f"reference ({unit})")
        axis.set_ylabel(f"predicted ({unit})")
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_energy_volume(scans: Mapping[str, tuple], *, title: str = "equation of state"):
    """Energy per atom against volume per atom, one line per `label: (volume, energy)`,
    each shifted to its own minimum so that curvatures (bulk moduli) compare directly.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5.5, 4))
    for label, (volume, energy) in scans.items():
        energy = np.asarray(energy)
        axis.plot(np.asarray(volume), energy - energy.min(), "o-", ms=3, label=label)
    axis.set_xlabel("volume per atom (Å³)")
    axis.set_ylabel("E - E_min per atom (eV)")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure


def plot_learning_curves(
    sizes, curves: Mapping[str, "list[float]"], *, ylabel: str = "test MAE", title: str = ""
):
    """Test error against training-set size on log-log axes, one line per model, as in
    learning-curve plots of the QM9 literature (a straight line is a power law).

    **Arguments:** `sizes` the training sizes; `curves` `label: errors` (one per size).

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 4))
    for label, errors in curves.items():
        if len(errors) != len(sizes):
            raise ValueError(
                f"curve {label!r} has {len(errors)} errors for {len(sizes)} sizes; "
                "give one error per training size."
            )
        axis.loglog(sizes, errors, "o-", label=label)
    axis.set_xlabel("training molecules")
    axis.set_ylabel(ylabel)
    axis.grid(True, which="both", lw=0.3)
    axis.legend()
    axis.set_title(title)
    figure.tight_layout()
    return figure
