"""Figures of simulator runs: space-time fields, spectra, trajectories, invariant errors."""

from collections.abc import Mapping, Sequence

import numpy as np


def plot_spacetime_spectrum(
    spacetime, final_time: float, extent: float, wavenumbers, spectrum, *, num_steps: int
):
    """A space-time map `spacetime[t, x]` over `[0, final_time] x [0, extent]` beside a
    time-averaged energy spectrum (the Kuramoto-Sivashinsky long rollout)."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 4))
    axes[0].imshow(
        np.asarray(spacetime).T,
        aspect="auto",
        cmap="RdBu_r",
        origin="lower",
        extent=(0, final_time, 0, extent),
    )
    axes[0].set(xlabel="t", ylabel="x", title="KS space-time (first steps)")
    axes[1].semilogy(wavenumbers[1:], np.asarray(spectrum)[1:])
    axes[1].axvline(1.0, color="k", ls=":", lw=0.8, label="k = 1 (neutral mode)")
    axes[1].set(
        xlabel="k",
        ylabel=r"$\langle |\hat u_k|^2 \rangle_t$",
        title=f"time-averaged energy spectrum ({num_steps} steps)",
    )
    axes[1].legend()
    figure.tight_layout()
    return figure


def plot_solution_against_reference(
    x, t, u, reference, *, domain: tuple[float, float], reference_label: str = "Cole-Hopf"
):
    """A solution `u[t, x]` on `domain`, its pointwise error against `reference` and four
    snapshots."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(14, 4))
    extent = (*domain, float(t[-1]), 0)
    image = axes[0].imshow(u, aspect="auto", extent=extent, cmap="RdBu_r")
    axes[0].set(xlabel="x", ylabel="t", title="spectral ETDRK solution")
    figure.colorbar(image, ax=axes[0])
    image = axes[1].imshow(np.abs(u - reference), aspect="auto", extent=extent, cmap="magma")
    axes[1].set(xlabel="x", ylabel="t", title=f"|spectral - {reference_label}|")
    figure.colorbar(image, ax=axes[1])
    for index in np.linspace(0, len(t) - 1, 4).astype(int):
        axes[2].plot(x, u[index], label=f"t={float(t[index]):.2f}")
        axes[2].plot(x, reference[index], "k:", lw=0.8)
    axes[2].set(xlabel="x", ylabel="u", title=f"snapshots (dotted: {reference_label})")
    axes[2].legend()
    figure.tight_layout()
    return figure


def plot_neural_ode_fit(t, reference, prediction, t_observed, observed, t_train, history):
    """The learned angle against the truth (fit window, then extrapolation) and the loss."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(t, reference[:, 0], "k", label="true theta")
    axes[0].plot(t, prediction[:, 0], "C1--", label="neural ODE")
    axes[0].plot(t_observed, observed[:, 0], "C0.", ms=3, label="training data")
    axes[0].axvline(t_train, color="gray", ls=":")
    axes[0].set(xlabel="t", ylabel="theta", title="angle: fit then extrapolation")
    axes[0].legend()
    steps = [record["step"] for record in history]
    axes[1].semilogy(steps, [record["loss"] for record in history], label="train MSE")
    axes[1].set(xlabel="step", ylabel="MSE", title="training loss")
    figure.tight_layout()
    return figure


def plot_ode_trajectory(t, ys, *, title: str, log_time: bool = False):
    """Every state component against time, and the phase portrait of the first two."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for i in range(ys.shape[1]):
        axes[0].plot(t, ys[:, i], label=f"y{i}")
    if log_time:
        axes[0].set_xscale("log")
    axes[0].set(xlabel="t", ylabel="state", title=title)
    axes[0].legend()
    axes[1].plot(ys[:, 0], ys[:, 1], lw=0.5)
    axes[1].set(xlabel="y0", ylabel="y1", title="phase portrait")
    figure.tight_layout()
    return figure


def plot_energy_error(curves: Mapping[str, np.ndarray], *, title: str, tolerance: float = 1e-4):
    """Per-period relative energy error of each integrator, log-log, with a tolerance line."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    for name, errors in curves.items():
        axis.loglog(np.arange(1, len(errors) + 1), errors, label=name)
    axis.axhline(tolerance, color="k", ls=":", lw=0.8, label=f"{tolerance:g}")
    axis.set(xlabel="orbital period", ylabel="max |H/H0 - 1| over the period", title=title)
    axis.legend()
    figure.tight_layout()
    return figure


def plot_loss_terms(axis, history: Sequence[dict], terms: Sequence[str], *, ylabel: str):
    """Log-scale curves of logged loss `terms` against step, on an existing axis."""
    steps = [record["step"] for record in history]
    for name in terms:
        axis.semilogy(steps, [record[name] for record in history], label=name)
    axis.set(xlabel="step", ylabel=ylabel)
