"""Figures for particles: a bond-energy fit against its reference, a bond-length spectrum."""

from collections.abc import Mapping

import numpy as np


def plot_bond_fit(r, reference, fitted, *, r_data=None, e_data=None, title: str = ""):
    """The reference dimer curve `E(r)` (eV over Angstrom) and the fitted bond energy.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(np.asarray(r), np.asarray(reference), "k:", label="reference")
    axis.plot(np.asarray(r), np.asarray(fitted), label="Gaussian well fit")
    if r_data is not None:
        axis.plot(np.asarray(r_data), np.asarray(e_data), "k.", ms=4, label="fitted points")
    axis.set_xlabel("bond length r (Å)")
    axis.set_ylabel("energy (eV)")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure


def plot_bond_spectrum(
    wavenumber, power, markers: Mapping[str, float] | None = None, *, title: str = ""
):
    """Power spectrum of the bond length against wavenumber (cm^-1), with vertical
    `markers` `{label: wavenumber}` for frequencies predicted otherwise.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    axis.semilogy(np.asarray(wavenumber), np.asarray(power), "k-", lw=1, label="NVE |FFT r(t)|²")
    for (label, x), style in zip((markers or {}).items(), ("--", ":", "-."), strict=False):
        axis.axvline(x, ls=style, label=f"{label}: {x:.1f} cm⁻¹")
    axis.set_xlabel("wavenumber (cm⁻¹)")
    axis.set_ylabel("power of the bond length (Å² per bin)")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure
