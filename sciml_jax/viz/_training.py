"""Figures of a training run: loss terms and metrics against steps."""

from collections.abc import Sequence


def plot_history(history: Sequence[dict], keys: Sequence[str] | None = None, *, title: str = ""):
    """Log-scale curves of logged metrics (default: `loss` and every loss term) vs step.

    A metric logged only at some steps (an evaluation every `eval_every`) is drawn
    through the steps that have it; a key that no record has is left out.

    **Arguments:**

    - `history`: the records from `FitResult.history` or `RunDir.read_metrics()`.
    - `keys`: which metrics to draw; by default every metric except bookkeeping ones.
    - `title`: the axes title.

    **Returns:** a matplotlib figure.
    """
    import matplotlib.pyplot as plt

    skip = {"step", "steps_per_s", "wall_time", "learning_rate", "grad_norm"}
    if keys is None:
        keys = [k for k in (history[0] if history else {}) if k not in skip]
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for key in keys:
        pairs = [(record["step"], abs(record[key])) for record in history if key in record]
        if pairs:
            steps, values = zip(*pairs, strict=True)
            axis.semilogy(steps, values, label=key)
    axis.set_xlabel("step")
    axis.set_ylabel("value (log scale)")
    axis.set_title(title or "training history")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    return figure
