"""Figures of 2D fields: a prediction, its reference and their pointwise error."""

from collections.abc import Sequence

import numpy as np

from ._training import plot_history


def plot_field(
    values,
    horizontal,
    vertical,
    *,
    labels: tuple[str, str] = ("t", "x"),
    title: str = "",
    cmap: str = "viridis",
    figsize: tuple[float, float] = (6, 3.2),
):
    """A colour map of `values`, shaped `(len(vertical), len(horizontal))`, with a colour bar.

    For a space-time field `u[t, x]` drawn with time across, pass `u.T`, `t`, `x`.
    """
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=figsize)
    image = axis.pcolormesh(horizontal, vertical, np.asarray(values), shading="auto", cmap=cmap)
    axis.set_xlabel(labels[0])
    axis.set_ylabel(labels[1])
    axis.set_title(title)
    figure.colorbar(image, ax=axis)
    return figure


def save_field_comparison(
    run,
    prediction,
    reference,
    horizontal,
    vertical,
    *,
    history: Sequence[dict] | None = None,
    terms: Sequence[str] = ("loss",),
    labels: tuple[str, str] = ("t", "x"),
    cmap: str = "viridis",
    error_title: str = "error",
    figsize: tuple[float, float] = (6, 3.2),
) -> None:
    """Save `prediction.png`, `reference.png`, `error.png` (|prediction - reference|) and,
    given a training `history`, `loss_curves.png` of `terms` into the run's figures.

    Fields are shaped `(len(vertical), len(horizontal))`, as for `plot_field`.
    """
    prediction, reference = np.asarray(prediction), np.asarray(reference)
    panels = (
        ("prediction", prediction, "prediction", cmap),
        ("reference", reference, "reference", cmap),
        ("error", np.abs(prediction - reference), error_title, "viridis"),
    )
    for name, values, title, colours in panels:
        figure = plot_field(
            values, horizontal, vertical, labels=labels, title=title, cmap=colours, figsize=figsize
        )
        run.save_figure(figure, name)
    if history is not None:
        run.save_figure(plot_history(history, terms, title="loss terms"), "loss_curves")
