"""Causal weighting of PINN residuals over time slabs (Wang, Sankaran, Perdikaris 2024)."""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._types import PointFunction
from ._pinn import pointwise, residual_loss


def causal_weights(slab_losses: Float[Array, " m"], epsilon: float) -> Float[Array, " m"]:
    r"""Causal weights $w_i = \exp(-\epsilon \sum_{k<i} L_k)$ over time slabs (no gradient).

    A PINN may fit late times before early ones, violating causality. Weighting the
    residual of slab $i$ by how well all earlier slabs are already fitted makes training
    proceed forward in time; training has converged causally when all $w_i \approx 1$.

    **Reference:** Wang, Sankaran, Perdikaris, "Respecting causality for training
    physics-informed neural networks", CMAME 421 (2024).
    """
    cumulative = jnp.concatenate([jnp.zeros(1, slab_losses.dtype), jnp.cumsum(slab_losses)[:-1]])
    return jax.lax.stop_gradient(jnp.exp(-epsilon * cumulative))


def causal_loss(
    residuals: Float[Array, "m n"], epsilon: float
) -> tuple[Float[Array, ""], Float[Array, " m"]]:
    """Causally weighted mean squared residual from residuals grouped by time slab.

    **Arguments:**

    - `residuals`: shape `(m, n)`: `n` residual values in each of `m` slabs, earliest first.
    - `epsilon`: causality strength (jaxpi uses 1 to 100).

    **Returns:** `(loss, weights)`: the scalar loss and the `(m,)` weights (for logging).
    """
    slab_losses = jnp.mean(residuals**2, axis=1)
    weights = causal_weights(slab_losses, epsilon)
    return jnp.mean(weights * slab_losses), weights


def time_slabs(points: Float[Array, "n dim"], num_slabs: int) -> Float[Array, "m n/m dim"]:
    """`points` sorted by time (their last coordinate) and cut into `num_slabs` slabs of
    equal count, earliest first: the grouping `causal_loss` takes its residuals in.

    Equal counts (not equal time widths) keep every slab's mean residual equally noisy
    whatever the sampler drew. `len(points)` must be a multiple of `num_slabs`.
    """
    if points.shape[0] % num_slabs:
        raise ValueError(
            f"{points.shape[0]} points cannot be cut into {num_slabs} slabs of equal count; "
            "draw a multiple of the number of slabs."
        )
    ordered = points[jnp.argsort(points[:, -1])]
    return ordered.reshape(num_slabs, -1, points.shape[1])


def causal_residual_loss(
    residual: Callable[[PointFunction, Array], Array],
    u: PointFunction,
    points: Float[Array, "n dim"],
    epsilon: float,
    num_slabs: int,
    *,
    vectorize: bool = False,
    one_pass: bool = False,
) -> Float[Array, ""]:
    r"""The causally weighted mean squared residual of `u` at `points`, slab by slab.

    The points are grouped by `time_slabs`, the residual `residual(u, p)` is evaluated
    per slab (`pointwise`, vmapped over slabs) and weighted by `causal_loss`, so later
    times weigh in only once the earlier residual is small. A (static) `epsilon` of 0
    turns the weighting off: the plain `residual_loss`.

    **Arguments:**

    - `residual`, `u`, `points`, `vectorize`: as for `residual_loss` (points are `(x.., t)`).
    - `epsilon`, `num_slabs`: the causality strength and the number of time slabs.
    - `one_pass`: evaluate all points in one call, in slab order, and cut the residuals
      into slabs afterwards (the same values; one larger evaluation instead of a vmap).

    **Returns:** the scalar loss.
    """
    if isinstance(epsilon, int | float) and epsilon == 0:
        return residual_loss(residual, u, points, vectorize=vectorize)
    slabs = time_slabs(points, num_slabs)
    if one_pass:
        ordered = slabs.reshape(-1, points.shape[1])
        residuals = pointwise(lambda p: residual(u, p), ordered, vectorize=vectorize)
        residuals = residuals.reshape(num_slabs, -1)
    else:
        residuals = jax.vmap(
            lambda slab: pointwise(lambda p: residual(u, p), slab, vectorize=vectorize)
        )(slabs)
    return causal_loss(residuals, epsilon)[0]
