"""Checks for differentiable simulations: gradients against finite differences, compiled memory."""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from .._types import Array, PyTree


def gradient_check(
    loss: Callable[[PyTree], Array],
    params: PyTree,
    direction: PyTree,
    *,
    epsilon: float = 1e-4,
) -> dict[str, float]:
    """Compare $\\nabla L \\cdot v$ from `jax.grad` with a central finite difference.

    $$\\frac{L(\\theta + \\epsilon v) - L(\\theta - \\epsilon v)}{2\\epsilon}
      = \\nabla L(\\theta) \\cdot v + O(\\epsilon^2)$$

    **Arguments:**

    - `loss`: a scalar function of the parameters.
    - `params`: where to check.
    - `direction`: $v$, a PyTree shaped like `params`.
    - `epsilon`: the finite-difference step (relative to the scale of `params`).

    **Returns:**

    `{"autodiff": ..., "finite_difference": ..., "relative_difference": ...}`.
    """
    gradient = jax.grad(loss)(params)
    pairs = zip(jax.tree.leaves(gradient), jax.tree.leaves(direction), strict=True)
    autodiff = sum(jnp.vdot(g, v) for g, v in pairs)
    shift = lambda sign: jax.tree.map(lambda p, v: p + sign * epsilon * v, params, direction)
    finite = (loss(shift(1.0)) - loss(shift(-1.0))) / (2 * epsilon)
    autodiff, finite = float(autodiff), float(finite)
    return {
        "autodiff": autodiff,
        "finite_difference": finite,
        "relative_difference": abs(autodiff - finite) / max(abs(finite), 1e-300),
    }


def compiled_memory_bytes(fn: Callable, *args) -> int:
    """Peak temporary memory XLA allocates for `jax.jit(fn)(*args)` (from the compiled HLO).

    A deterministic, backend-reported figure (`memory_analysis().temp_size_in_bytes`):
    use it to compare, e.g., a gradient through a rollout with and without checkpointing.
    """
    compiled = jax.jit(fn).lower(*args).compile()
    analysis = compiled.memory_analysis()
    return int(analysis.temp_size_in_bytes)
