"""Empirical convergence orders."""

import numpy as np
from jaxtyping import ArrayLike


def fit_convergence_order(step_sizes: ArrayLike, errors: ArrayLike) -> tuple[float, float]:
    """Least-squares fit of $e(h) \\approx C h^p$ in log–log space.

    **Arguments:**

    - `step_sizes`: at least two positive step sizes $h$ (time steps, grid spacings).
    - `errors`: the positive errors measured at them.

    **Returns:**

    `(order, constant)`: $p$ and $C$.

    **Example:**

    ```python
    order, _ = fit_convergence_order([0.1, 0.05, 0.025], [1e-4, 6.3e-6, 3.9e-7])  # ~4.0
    ```
    """
    h = np.asarray(step_sizes, dtype=float)
    e = np.asarray(errors, dtype=float)
    if h.shape != e.shape or h.ndim != 1 or h.size < 2:
        raise ValueError(
            f"step_sizes and errors must be two 1D sequences of equal length >= 2, got "
            f"shapes {h.shape} and {e.shape}."
        )
    if np.any(h <= 0) or np.any(e <= 0) or not np.all(np.isfinite(e)):
        raise ValueError(
            f"step sizes and errors must be positive and finite to fit log e = p log h + "
            f"log C, got step_sizes={h.tolist()}, errors={e.tolist()}; an error of 0 means "
            "the solution is exact or at round-off: use larger steps."
        )
    order, log_constant = np.polyfit(np.log(h), np.log(e), 1)
    return float(order), float(np.exp(log_constant))
