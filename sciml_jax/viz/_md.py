"""Figures for molecular dynamics: energies along a run, radial distribution functions."""

from collections.abc import Mapping

import numpy as np


def plot_md_energies(
    time,
    potential,
    kinetic,
    total,
    *,
    title: str = "",
    energy_unit: str = "ε",
    time_unit: str = "τ",
):
    """Potential, kinetic and total energy per particle against time (reduced units
    unless `energy_unit`/`time_unit` say otherwise), with the total's relative deviation
    from its start on a second panel.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    time, total = np.asarray(time), np.asarray(total)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    top.plot(time, np.asarray(potential), label="potential")
    top.plot(time, np.asarray(kinetic), label="kinetic")
    top.plot(time, total, "k", label="total")
    top.set_ylabel(f"energy per particle ({energy_unit})")
    top.set_title(title)
    top.legend()
    bottom.plot(time, (total - total[0]) / abs(total[0]))
    bottom.set_xlabel(f"time ({time_unit})")
    bottom.set_ylabel("(E(t) - E(0)) / |E(0)|")
    figure.tight_layout()
    return figure


def plot_rdf(curves: Mapping[str, tuple], *, title: str = "", r_unit: str = "σ"):
    """Radial distribution functions `g(r)`, one line per `label: (r, g)`.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for label, (r, g) in curves.items():
        axis.plot(np.asarray(r), np.asarray(g), label=label)
    axis.axhline(1.0, color="k", lw=0.5, ls=":")
    axis.set_xlabel(f"r ({r_unit})")
    axis.set_ylabel("g(r)")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure
