"""Figures of inverse and design problems: a recovered unknown against the truth."""

from collections.abc import Sequence

import numpy as np

from ._simulators import plot_loss_terms


def plot_recovery_1d(x, truth, recovered, observed, history, *, error: float, terms):
    """A recovered 1D initial condition against the truth and the data, beside its losses."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(x, truth, "k", label="true u0")
    axes[0].plot(x, recovered, "C1--", label=f"recovered (rel L2 {error:.2%})")
    axes[0].plot(x, observed, "C0.", ms=2, label="observed u(T)")
    axes[0].set(xlabel="x", ylabel="u", title="initial condition")
    axes[0].legend()
    plot_loss_terms(axes[1], history, terms, ylabel="loss term")
    axes[1].set(title="loss terms")
    axes[1].legend()
    figure.tight_layout()
    return figure


def plot_field_panels(panels: Sequence[tuple], *, cmap: str, sensors=None):
    """Side-by-side colour maps on [0, 1]^2, one per `(values[x, y], title, imshow kwargs)`;
    `sensors` (x, y) are marked on the first panel."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(panels), figsize=(13, 4))
    for axis, (values, title, kwargs) in zip(axes, panels, strict=True):
        image = axis.imshow(
            np.asarray(values).T, origin="lower", extent=(0, 1, 0, 1), cmap=cmap, **kwargs
        )
        axis.set(title=title, xlabel="x", ylabel="y")
        figure.colorbar(image, ax=axis)
    if sensors is not None:
        axes[0].plot(*sensors, "w.", ms=3)
    figure.tight_layout()
    return figure


def plot_sensor_fit(times, observations, fitted, history, *, title: str, num_series: int = 3):
    """A few noisy sensor series with the fitted model's, beside the misfit history."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for j in range(num_series):
        axes[0].plot(times, observations[:, j], ".", ms=3, color=f"C{j}")
        axes[0].plot(times, fitted[:, j], "-", color=f"C{j}")
    axes[0].set(
        xlabel="t",
        ylabel="u at sensor",
        title=f"{num_series} of the sensor series (dots: noisy data)",
    )
    plot_loss_terms(axes[1], history, ("loss",), ylabel="normalised misfit")
    axes[1].set(title=title)
    figure.tight_layout()
    return figure
