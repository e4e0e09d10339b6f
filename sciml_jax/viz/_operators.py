"""Figures of learned operators and emulators: predictions against references, rollout errors."""

from collections.abc import Mapping

import numpy as np


def plot_operator_samples_1d(a, u, prediction, *, model_label: str = "FNO"):
    """One panel per sample of a 1D operator `a -> u`: input, reference output and prediction.

    **Arguments:** `a`, `u`, `prediction` shaped `(samples, channels, grid)` on [0, 1)
    (channel 0 is drawn); `model_label` names the prediction in the legend.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(a), figsize=(5 * len(a), 3.5), squeeze=False)
    for axis, a_i, u_i, p_i in zip(axes[0], a, u, prediction, strict=True):
        x = np.arange(a_i.shape[-1]) / a_i.shape[-1]
        axis.plot(x, a_i[0], "k:", lw=1, label="u0")
        axis.plot(x, u_i[0], "k-", lw=1, label="u(1) reference")
        axis.plot(x, p_i[0], "r--", lw=1.5, label=model_label)
        axis.set_xlabel("x")
        axis.set_ylabel("u")
    axes[0, 0].legend()
    return figure


def plot_rollout_error(curves: Mapping[str, np.ndarray]):
    """Log-scale nRMSE against rollout step, one curve per training objective."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for mode, curve in curves.items():
        axis.semilogy(np.arange(1, curve.shape[0] + 1), curve, label=mode)
    axis.set_xlabel("rollout step")
    axis.set_ylabel("nRMSE")
    axis.legend()
    return figure
