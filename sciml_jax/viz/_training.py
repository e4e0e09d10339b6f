"""Figures of a training run: loss terms against steps."""

from collections.abc import Sequence


def plot_history(history: Sequence[dict], keys: Sequence[str] | None = None, *, title: str = ""):
    """Log-scale curves of logged metrics (default: `loss` and every loss term) vs step.

    **Arguments:**

    - `history`: the records from `FitResult.history` or `RunDir.read_metrics()`.
    - `keys`: which metrics to draw; by default every metric except bookkeeping ones.

    **Returns:** a matplotlib figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    skip = {"step", "steps_per_s", "wall_time", "learning_rate", "grad_norm"}
    if keys is None:
        keys = [k for k in (history[0] if history else {}) if k not in skip]
    figure, axis = plt.subplots(figsize=(6, 4))
    steps = [record["step"] for record in history]
    for key in keys:
        values = [abs(record[key]) if key in record else float("nan") for record in history]
        axis.semilogy(steps, values, label=key)
    axis.set_xlabel("step")
    axis.set_ylabel("value")
    axis.set_title(title or "training history")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    return figure
