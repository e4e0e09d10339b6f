"""Figures of 1D fits: curves against a reference, errors, fronts and per-fit histories."""

from collections.abc import Mapping, Sequence

import numpy as np


def _draw_curves(axis, x, curves, reference, data, labels, title):
    if data is not None:
        label, x_data, y_data = data
        axis.plot(np.asarray(x_data), np.asarray(y_data), "k.", ms=4, label=label)
    if reference is not None:
        axis.plot(x, np.asarray(reference[1]), "k:", label=reference[0])
    for label, y in curves.items():
        axis.plot(x, np.asarray(y), label=label)
    axis.set_xlabel(labels[0])
    axis.set_ylabel(labels[1])
    axis.set_title(title)
    axis.legend()


def plot_curves(
    x,
    curves: Mapping[str, object],
    *,
    reference: tuple[str, object] | None = None,
    data: tuple[str, object, object] | None = None,
    labels: tuple[str, str] = ("x", "u"),
    title: str = "",
    figsize: tuple[float, float] = (6, 4),
):
    """Fitted curves `{label: y(x)}` over a dotted `(label, y)` reference and the
    `(label, x, y)` data points they were fitted to.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=figsize)
    _draw_curves(axis, np.asarray(x), curves, reference, data, labels, title)
    return figure


def plot_curves_and_errors(
    x,
    predictions: Sequence,
    references: Sequence,
    *,
    name: str = "u",
    labels: tuple[str, str] = ("x", "u"),
):
    """Left: each prediction `u_k` (solid) over its reference (dotted); right: `|u_k - ref|`
    on a log scale. Used for a family of fits such as eigenfunctions.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for k, (u, exact) in enumerate(zip(predictions, references, strict=True), start=1):
        left.plot(x, u, label=f"PINN {name}_{k}")
        left.plot(x, exact, "k:", lw=1)
        right.semilogy(
            x, np.abs(np.asarray(u) - np.asarray(exact)) + 1e-16, label=f"|error {name}_{k}|"
        )
    left.set(xlabel=labels[0], ylabel=labels[1], title="prediction (dotted: exact)")
    right.set(xlabel=labels[0], ylabel="absolute error", title="pointwise error")
    left.legend()
    right.legend()
    return figure


def plot_histories(
    histories: Mapping[str, Sequence[dict]], key: str, *, ylabel: str | None = None, title: str = ""
):
    """Log-scale curves of one logged metric `key` vs step, one curve per fit.

    **Arguments:**

    - `histories`: `{label: FitResult.history}`, e.g. one per eigenpair or per variant.
    - `key`: the metric drawn; `ylabel` (default `key`) labels its axis.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.5))
    for label, history in histories.items():
        pairs = [(record["step"], abs(record[key])) for record in history if key in record]
        if pairs:
            axis.semilogy(*zip(*pairs, strict=True), label=label)
    axis.set(xlabel="step", ylabel=ylabel or key, title=title or f"{key} during training")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    return figure


def plot_front(t, front, front_exact, *, label: str = "PINN", exact_label: str = "exact"):
    """A moving front s(t): the exact curve (line) and the fitted positions (circles).

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(t, front_exact, "k-", label=exact_label)
    ax.plot(t, front, "o", mfc="none", label=label)
    ax.set(xlabel="t", ylabel="front s(t)", title="melting front")
    ax.legend()
    return figure


def plot_equation_of_state(volume, energy, energy_exact, data, bulk, bulk_exact):
    """Left: E(V) of the network, the exact curve and the `(V, E)` data; right: the bulk
    modulus B(V) of the network and the exact one.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    volume = np.asarray(volume)
    _draw_curves(
        left,
        volume,
        {"network": energy},
        ("exact", energy_exact),
        ("data", *data),
        ("V", "E"),
        "energy",
    )
    _draw_curves(
        right,
        volume,
        {"B(V) network": bulk},
        ("B(V) exact", bulk_exact),
        None,
        ("V", "B = V d2E/dV2"),
        "bulk modulus",
    )
    return figure
