"""PINN loss terms: mean squared residuals of a PDE, of initial/boundary data, of observations.

Each term is a pure function of a model (a function of ONE point) and a batch of points,
returning a scalar; `jax.vmap` runs over the points inside. A PINN loss function is a dict
of such terms, which the training engine weights and sums.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._types import PointFunction
from ..ops import taylor


def _mean_square(values: Array) -> Array:
    return jnp.mean(jnp.sum(jnp.reshape(values, (values.shape[0], -1)) ** 2, axis=-1))


def pointwise(
    fn: Callable[[Array], Array],
    points: Float[Array, "n dim"],
    chunk_size: int | None = None,
    *,
    vectorize: bool = False,
) -> Array:
    """`fn` over every point; with `chunk_size`, in rematerialised chunks to bound memory.

    Chunking runs `jax.lax.map` over blocks of `chunk_size` points, each block under
    `jax.checkpoint`, so the backward pass of a residual over 10^6 points keeps only one
    block's intermediates alive at a time.

    With `vectorize=True`, `fn` is called ONCE on all points as columns, `points.T` of
    shape `(dim, n)`, instead of being vmapped. Every function of a point then has to
    broadcast over a trailing axis, as our networks, embeddings and derivative operators
    do (index coordinates as `p[0]`, not `p[..., 0]`). It gives the same numbers and on
    CPU runs several times faster: the layers become `W @ X` with the long axis
    contiguous. The result must be `(n,)` or `(k, n)`; it is returned as `(n,)` or
    `(n, k)`, like the vmapped version.
    """
    if points.ndim != 2:
        raise ValueError(f"points must have shape (n, dim), got {points.shape}.")
    n = points.shape[0]
    if vectorize:
        evaluate = _columnwise(fn, n)
    else:
        evaluate = jax.vmap(fn)
    if chunk_size is None or chunk_size >= n:
        return evaluate(points)
    if n % chunk_size:
        raise ValueError(
            f"chunk_size={chunk_size} must divide the number of points n={n}; "
            "pick a divisor or pad the point set."
        )
    blocks = points.reshape(n // chunk_size, chunk_size, points.shape[1])
    evaluate = _columnwise(fn, chunk_size) if vectorize else evaluate
    out = jax.lax.map(jax.checkpoint(evaluate), blocks)
    return out.reshape(n, *out.shape[2:])


def _columnwise(fn: Callable[[Array], Array], n: int) -> Callable[[Array], Array]:
    def evaluate(points):
        out = fn(points.T)
        if out.ndim == 0 or out.shape[-1] != n:
            raise ValueError(
                f"with vectorize=True the point function got all {n} points as columns "
                f"(shape {points.T.shape}) and must return shape (n,) or (k, n), but it "
                f"returned {out.shape}. Make it broadcast over a trailing axis (index "
                "coordinates as p[0], reduce over axis 0, not -1), or use vectorize=False."
            )
        return jnp.moveaxis(out, -1, 0)

    return evaluate


def residual_loss(
    residual: Callable[[PointFunction, Array], Array],
    u: PointFunction,
    points: Float[Array, "n dim"],
    *,
    chunk_size: int | None = None,
    vectorize: bool = False,
) -> Float[Array, ""]:
    r"""Mean squared PDE residual $\frac{1}{n}\sum_i |\mathcal{N}[u](p_i)|^2$.

    **Arguments:**

    - `residual`: `residual(u, p)`, e.g. `Burgers().residual`.
    - `u`: the solution candidate (a model of one point).
    - `points`: collocation points `(n, dim)`.
    - `chunk_size`: evaluate in checkpointed chunks (see `pointwise`) for huge point sets.
    - `vectorize`: evaluate all points at once as columns instead of vmapping (see
      `pointwise`); same value, several times faster on CPU for our networks.

    **Returns:** the scalar mean squared residual (summed over components for systems).
    """
    values = pointwise(lambda p: residual(u, p), points, chunk_size, vectorize=vectorize)
    return _mean_square(values)


def dirichlet_loss(
    u: PointFunction,
    points: Float[Array, "n dim"],
    target: Callable[[Array], Array] | Array,
    *,
    vectorize: bool = False,
) -> Float[Array, ""]:
    r"""Mean squared mismatch $\frac1n\sum_i |u(p_i) - g(p_i)|^2$ on a boundary.

    `target` is a function of one point or an array of values, one per point. The
    initial condition of a time problem is the same term on the slice `t = t0`.
    With `vectorize=True` the model and a callable target see all points as columns
    (see `pointwise`).
    """
    predicted = pointwise(u, points, vectorize=vectorize)
    if callable(target):
        expected = pointwise(target, points, vectorize=vectorize)
    else:
        expected = jnp.asarray(target)
    if expected.shape != predicted.shape:
        raise ValueError(
            f"target values have shape {expected.shape} but the model gives {predicted.shape} "
            "on these points; pass one value per point."
        )
    return _mean_square(predicted - expected)


initial_loss = dirichlet_loss
data_loss = dirichlet_loss


def neumann_loss(
    u: PointFunction,
    points: Float[Array, "n dim"],
    normal: Callable[[Array], Array],
    flux: Callable[[Array], Array] | None = None,
) -> Float[Array, ""]:
    r"""Mean squared mismatch of the normal derivative, $|\nabla u\cdot n - h|^2$.

    **Arguments:**

    - `u`: the model; `points`: boundary points.
    - `normal`: outward unit normal of a point, `(dim,)` (zero in the time component).
    - `flux`: the prescribed `h(p)` (default 0).
    """

    def normal_derivative(p):
        return jax.jvp(u, (p,), (normal(p),))[1]

    predicted = jax.vmap(normal_derivative)(points)
    expected = jnp.zeros_like(predicted) if flux is None else jax.vmap(flux)(points)
    return _mean_square(predicted - expected)


def periodic_loss(
    u: PointFunction,
    points: Float[Array, "n dim"],
    axis: int,
    period: float,
    *,
    derivatives: int = 1,
) -> Float[Array, ""]:
    r"""Mean squared jump across a period, $|u(p + L e_i) - u(p)|^2$, and of derivatives.

    Matching value and the first `derivatives` derivatives along `axis` makes the
    solution periodic in the $C^k$ sense. (For exact periodicity use `PeriodicEmbedding`.)
    """
    shift = jnp.zeros(points.shape[1], points.dtype).at[axis].set(period)
    direction = jnp.zeros(points.shape[1], points.dtype).at[axis].set(1)

    def jumps(p):
        left = taylor(u, p, direction, derivatives) if derivatives else [u(p)]
        right = taylor(u, p + shift, direction, derivatives) if derivatives else [u(p + shift)]
        return jnp.stack([a - b for a, b in zip(left, right, strict=True)])

    return _mean_square(jax.vmap(jumps)(points))
