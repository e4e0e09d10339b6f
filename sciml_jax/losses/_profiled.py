"""The residual loss minimised in closed form over coefficients that enter it linearly."""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._pinn import PointFunction, pointwise


def profiled_residual_loss(
    residual: Callable[[Array, PointFunction, Array], Array],
    coefficients: Float[Array, " k"],
    u: PointFunction,
    points: Float[Array, "n dim"],
    *,
    chunk_size: int | None = None,
) -> tuple[Float[Array, ""], Float[Array, " k"]]:
    r"""Mean squared residual at the best coefficients for the current `u` (variable projection).

    Most inverse problems ask for coefficients that enter the PDE linearly, as
    $\lambda_1, \lambda_2$ in $u_t + \lambda_1 u u_x - \lambda_2 u_{xx}$. For a fixed
    candidate $u$ the residual is then $r_i(c) = r_i(c_0) + J_i (c - c_0)$ exactly, and

    $$ c^\star(u) = \arg\min_c \tfrac1n \textstyle\sum_i |r_i(c)|^2 $$

    is one small least-squares solve. Training $u$ on
    $L(u) = \tfrac1n \sum_i |r_i(c^\star(u))|^2$ instead of on $(u, c)$ jointly removes the
    flat, badly scaled directions that the coefficients add to the loss (Golub & Pereyra's
    variable projection). By the envelope theorem
    $\mathrm dL/\mathrm du = \partial_u \tfrac1n \sum_i |r_i(c)|^2$ at $c = c^\star$, so
    $c^\star$ is held constant (`stop_gradient`) when differentiating: the gradient is exact.

    **Arguments:**

    - `residual`: `residual(coefficients, u, p)`, affine in `coefficients`; a scalar or a
      vector (systems) per point.
    - `coefficients`: `(k,)` any value at which to linearise (the result does not depend
      on it when `residual` is affine, as required).
    - `u`: the solution candidate (a model of one point).
    - `points`: collocation points `(n, dim)`.
    - `chunk_size`: evaluate in checkpointed chunks (see `pointwise`).

    **Returns:** `(loss, best)`: the mean squared residual at `best`, and `best` itself.

    ```python
    residual = lambda c, u, p: Burgers(convection=c[0], viscosity=c[1]).residual(u, p)
    loss, (lambda1, lambda2) = profiled_residual_loss(residual, jnp.ones(2), model, points)
    ```
    """
    coefficients = jnp.asarray(coefficients)
    if coefficients.ndim != 1:
        raise ValueError(
            f"coefficients must be a vector (k,), got shape {coefficients.shape}; "
            "stack scalar coefficients with jnp.stack."
        )

    k = coefficients.shape[0]

    def value_and_jacobian(p):
        # One evaluation of the network's derivatives; the map c -> r(c) is then linear.
        value, linear = jax.linearize(lambda c: residual(c, u, p), coefficients)
        jacobian = jax.vmap(linear, out_axes=-1)(jnp.eye(k, dtype=coefficients.dtype))
        # one array per point, (components, 1 + k), so that chunked evaluation applies
        return jnp.concatenate([jnp.reshape(value, (-1, 1)), jnp.reshape(jacobian, (-1, k))], -1)

    columns = pointwise(value_and_jacobian, points, chunk_size).reshape(-1, 1 + k)
    n = points.shape[0]
    values, jacobians = columns[:, 0], columns[:, 1:]
    step = jnp.linalg.lstsq(jax.lax.stop_gradient(jacobians), -jax.lax.stop_gradient(values))[0]
    best = jax.lax.stop_gradient(coefficients + step)
    fitted = values + jacobians @ (best - coefficients)
    return jnp.sum(fitted**2) / n, best
