"""Penalty and normalisation constraints for PINN-style fitting."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._types import PointFunction
from ..ops import grad


def inequality_penalty(values: Array) -> Float[Array, ""]:
    r"""Mean squared violation of $g \ge 0$: $\frac1n\sum_i \mathrm{ReLU}(-g_i)^2$."""
    return jnp.mean(jax.nn.relu(-values) ** 2)


def monotonicity_penalty(
    u: PointFunction, points: Float[Array, "n dim"], axis: int = 0, *, increasing: bool = True
) -> Float[Array, ""]:
    r"""Penalty $\frac1n\sum_i \mathrm{ReLU}(-\partial_{x}u(p_i))^2$ for a non-decreasing `u`.

    Zero exactly when the slope along `axis` is non-negative at every point (or
    non-positive with `increasing=False`). Used to fit CDFs and other monotone laws.
    """
    direction = jnp.zeros(points.shape[1], points.dtype).at[axis].set(1)
    slope = jax.vmap(lambda p: jax.jvp(u, (p,), (direction,))[1])(points)
    return inequality_penalty(slope if increasing else -slope)


def normalisation_penalty(
    u: PointFunction, points: Float[Array, "n dim"], volume: float, target: float = 1.0
) -> Float[Array, ""]:
    r"""Penalty $(\int u^2 - c)^2$ with the integral by the mean over uniform points.

    For eigenproblems this excludes the trivial solution $u = 0$: the Rayleigh quotient
    alone is scale free, so a norm constraint fixes the scale.
    """
    norm = volume * jnp.mean(jax.vmap(u)(points) ** 2)
    return (norm - target) ** 2


def rayleigh_quotient(
    u: PointFunction, points: Float[Array, "n dim"], weights: Array | None = None
) -> Float[Array, ""]:
    r"""The Rayleigh quotient $\int |\nabla u|^2 / \int u^2$ (quadrature on `points`).

    Its minimum over $H^1_0$ is the smallest eigenvalue of $-\Delta$. `weights` are
    quadrature weights (default: equal, i.e. Monte Carlo).
    """
    gradients = jax.vmap(grad(u))(points)
    values = jax.vmap(u)(points)
    w = jnp.ones(points.shape[0], points.dtype) if weights is None else weights
    return jnp.sum(w * jnp.sum(gradients**2, axis=-1)) / jnp.sum(w * values**2)
