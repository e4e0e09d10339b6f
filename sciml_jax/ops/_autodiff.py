"""Derivative operators on functions of one point, for stating PDE residuals.

Every operator here takes a function `u(p)` of ONE point `p` of shape `(dim,)` and
returns a new function of one point, so operators compose
(`partial_derivative(partial_derivative(u, "x"), "t")`) and `jax.vmap` batches them over
collocation points from the outside.

They also accept many points at once as columns, `p` of shape `(dim, n)`, when `u`
broadcasts over that trailing axis (our networks do): the tangent is then the unit
vector in every column, and the result has shape `(n,)` (or `(k, n)`). This is the
layout `residual_loss(..., vectorize=True)` uses, several times faster on CPU.

Coordinates are addressed by index or by name. Names follow one convention across the
library: space coordinates come first in the order `x, y, z`, and time, when present,
is the LAST coordinate of the point. So `"x"` is index 0, `"y"` 1, `"z"` 2 and `"t"` -1.

Directional derivatives are taken in forward mode (`jax.jvp`), which for a scalar
network of a low-dimensional point is cheaper than reverse mode: one tangent pass per
direction instead of a reverse sweep plus a full gradient. Repeated derivatives along
one direction up to second order nest `jvp` (measured faster than `jet` for tanh networks
on CPU); from third order on they use Taylor mode (`jax.experimental.jet`), which gets
`u, u', u'', ...` from a single propagation whose cost grows linearly in the order.
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.experimental import jet as _jet
from jaxtyping import Array

from .._types import PointFunction

_AXIS_NAMES = {"x": 0, "y": 1, "z": 2, "t": -1}


def axis_index(axis: int | str, dim: int | None = None) -> int:
    """Resolve a coordinate name (`"x"`, `"y"`, `"z"`, `"t"`) or integer to an index.

    **Arguments:**

    - `axis`: an integer index or one of `"x"`, `"y"`, `"z"` (0, 1, 2) and `"t"` (last).
    - `dim`: the point dimension; when given, the index is made non-negative and checked.

    **Returns:**

    The integer index into the point.
    """
    if isinstance(axis, str):
        if axis not in _AXIS_NAMES:
            raise ValueError(
                f"unknown coordinate name {axis!r}; expected one of {sorted(_AXIS_NAMES)} "
                "(space x, y, z first, time t last) or an integer index."
            )
        index = _AXIS_NAMES[axis]
    elif isinstance(axis, int):
        index = axis
    else:
        raise ValueError(f"a coordinate must be an int or a name like 'x', got {axis!r}.")
    if dim is not None:
        if not -dim <= index < dim:
            raise ValueError(
                f"coordinate {axis!r} (index {index}) is out of range for a point of "
                f"dimension {dim}; points are ordered (x, y, z, ..., t)."
            )
        index %= dim
    return index


def coordinate_direction(p: Array, axis: int | str) -> Array:
    """The unit tangent along coordinate `axis` at `p`, for `jax.jvp` and `taylor`.

    The coordinate axis is the first one: a point is `(dim,)` or, batched as columns,
    `(dim, n)`; the tangent is the unit vector in every column.
    """
    return jnp.zeros_like(p).at[axis_index(axis, p.shape[0])].set(1)


def _along(direction: Array, p: Array) -> Array:
    """A direction `(dim,)` broadcast to every column of `p` (`(dim,)` or `(dim, n)`)."""
    direction = jnp.asarray(direction, p.dtype)
    if direction.shape == p.shape:  # already one tangent per column
        return direction
    return jnp.broadcast_to(direction.reshape(direction.shape + (1,) * (p.ndim - 1)), p.shape)


def directional(u: PointFunction, direction: Array) -> PointFunction:
    r"""The directional derivative $v \cdot \nabla u$ along a fixed vector, in forward mode.

    **Arguments:**

    - `u`: a function of one point `p` of shape `(dim,)` (any output shape).
    - `direction`: the vector `v`, shape `(dim,)`.

    **Returns:**

    The function `p -> (v . grad) u(p)`, same output shape as `u`.
    """

    def derivative(p):
        return jax.jvp(u, (p,), (_along(direction, p),))[1]

    return derivative


def partial_derivative(u: PointFunction, *axes: int | str) -> PointFunction:
    r"""A partial derivative of any order: $\partial_x u$, $\partial_{xx} u$, $\partial_{xt} u$.

    `partial_derivative(u, "x", "x")` is $u_{xx}$; `partial_derivative(u, "x", "t")` is
    $u_{xt}$. Each derivative is one forward-mode (`jvp`) pass nested over the previous
    ones; a run of equal axes at the end (`"x", "x"`) is taken in a single Taylor-mode pass instead.

    **Arguments:**

    - `u`: a function of one point `p` of shape `(dim,)`; the output may be a scalar or
      an array (systems of PDEs), differentiated componentwise.
    - `*axes`: coordinates by name (`"x"`, `"y"`, `"z"`, `"t"` = last) or index.

    **Returns:**

    The derivative as a function of one point.

    **Example:**

    ```python
    u = lambda p: jnp.sin(p[0]) * jnp.exp(-p[1])     # p = (x, t)
    u_xx = partial_derivative(u, "x", "x")
    u_xx(jnp.array([0.3, 0.1]))                     # -sin(0.3) exp(-0.1)
    ```
    """
    if not axes:
        raise ValueError(
            "partial_derivative needs at least one coordinate, e.g. partial_derivative(u, 'x')."
        )
    for axis in axes:
        axis_index(axis)
    # Group the trailing run of identical axes: one jet pass of that order.
    last = axes[-1]
    order = 1
    while order < len(axes) and axes[-1 - order] == last:
        order += 1
    inner = u
    for axis in axes[: len(axes) - order]:
        inner = _first(inner, axis)
    if order == 1:
        return _first(inner, last)

    def derivative(p):
        return taylor(inner, p, coordinate_direction(p, last), order)[order]

    return derivative


def _first(u: PointFunction, axis: int | str) -> PointFunction:
    def derivative(p):
        return jax.jvp(u, (p,), (coordinate_direction(p, axis),))[1]

    return derivative


def taylor(u: PointFunction, p: Array, direction: Array, order: int) -> list[Array]:
    r"""All directional derivatives $[u, D_v u, D_v^2 u, \dots, D_v^n u]$ in one pass.

    For `order >= 3` it uses Taylor-mode automatic differentiation
    (`jax.experimental.jet`): the cost grows about linearly in `order`, while nesting
    `jvp` grows exponentially in general. For orders 1 and 2, nested `jvp` is cheaper.

    **Arguments:**

    - `u`: a function of one point.
    - `p`: the point, shape `(dim,)`, or points as columns `(dim, n)`.
    - `direction`: the vector `v`, shape `(dim,)` (the same for every column).
    - `order`: the highest derivative order `n >= 1`.

    **Returns:**

    A list of `order + 1` arrays: the value and the derivatives of order 1..n along `v`.
    """
    if order < 1:
        raise ValueError(f"taylor needs order >= 1, got {order}.")
    direction = _along(direction, p)
    if order <= 2:
        # Up to second order, forward-over-forward is cheaper than `jet` on CPU: XLA fuses
        # the two tangent streams, while jet's series rules (e.g. for tanh) add work.
        # Measured ~1.2x on the Burgers PINN step (benchmarks/burgers_pinn_throughput.py).
        return _nested_taylor(u, p, direction, order)
    series = [direction] + [jnp.zeros_like(p)] * (order - 1)
    try:
        value, terms = _jet.jet(u, (p,), (series,))
    except (KeyError, NotImplementedError, TypeError):
        # jet has no rule for some primitives (e.g. reduce_prod); nested forward mode
        # gives the same numbers at a higher cost for orders above two.
        return _nested_taylor(u, p, direction, order)
    return [value, *terms]


def _nested_taylor(u: PointFunction, p: Array, direction: Array, order: int) -> list[Array]:
    def all_up_to(k):
        if k == 0:
            return lambda q: (u(q),)
        lower = all_up_to(k - 1)

        def derivatives(q):
            values, tangents = jax.jvp(lower, (q,), (direction,))
            return (*values, tangents[-1])

        return derivatives

    return list(all_up_to(order)(p))


def grad(u: PointFunction) -> PointFunction:
    r"""The gradient $\nabla u$ of a scalar function of one point, shape `(dim,)`.

    Taken in forward mode, one tangent per coordinate (vmapped), which for the few
    coordinates of a PDE is cheaper than a reverse sweep through a network.

    **Arguments:**

    - `u`: a scalar function of one point.

    **Returns:**

    The function `p -> grad u(p)`.
    """

    def gradient(p):
        basis = jnp.eye(p.shape[0], dtype=p.dtype)
        # One point: (dim,) or (*out, dim). Points as columns (dim, n): (dim, n).
        out_axes = -1 if p.ndim == 1 else 0
        return jax.vmap(lambda e: jax.jvp(u, (p,), (_along(e, p),))[1], out_axes=out_axes)(basis)

    return gradient


def jacobian(u: PointFunction) -> PointFunction:
    """The Jacobian `d u_i / d p_j` (shape `(*out, dim)`) in forward mode."""
    return grad(u)


def divergence(v: PointFunction, axes: Sequence[int | str] | None = None) -> PointFunction:
    r"""The divergence $\nabla\cdot v = \sum_i \partial_i v_i$ of a vector field.

    **Arguments:**

    - `v`: a function of one point returning a vector; component `i` pairs with
      coordinate `axes[i]`.
    - `axes`: the coordinates to sum over (default: the first `len(v(p))` coordinates,
      i.e. the space coordinates when time is last).

    **Returns:**

    The scalar function `p -> div v(p)`.
    """

    def div(p):
        dim = p.shape[0]
        out_dim = jax.eval_shape(v, p).shape[0]
        idx = list(range(out_dim)) if axes is None else [axis_index(a, dim) for a in axes]
        if len(idx) != out_dim:
            raise ValueError(
                f"divergence: the field has {out_dim} components but {len(idx)} axes were "
                "given; pass one axis per component."
            )
        basis = jnp.eye(dim, dtype=p.dtype)[jnp.asarray(idx)]
        columns = jax.vmap(lambda e: jax.jvp(v, (p,), (_along(e, p),))[1])(basis)
        return jnp.trace(columns, axis1=0, axis2=1)

    return div


def laplacian(u: PointFunction, axes: Sequence[int | str] | None = None) -> PointFunction:
    r"""The Laplacian $\Delta u = \sum_i \partial_{ii} u$ over the chosen coordinates.

    Each second derivative is one second-order Taylor-mode pass along a coordinate,
    vmapped over the coordinates: no Hessian is ever formed.

    **Arguments:**

    - `u`: a function of one point (scalar or vector output, componentwise).
    - `axes`: coordinates to sum over, by name or index. Default: all of them. For a
      space-time point pass the space axes, e.g. `axes=("x", "y")`.

    **Returns:**

    The function `p -> Delta u(p)`.

    **Example:**

    ```python
    u = lambda p: p[0] ** 2 + 3 * p[1] ** 2
    laplacian(u)(jnp.array([1.0, 2.0]))     # 8.0
    ```
    """

    def lap(p):
        dim = p.shape[0]
        idx = list(range(dim)) if axes is None else [axis_index(a, dim) for a in axes]
        basis = jnp.eye(dim, dtype=p.dtype)[jnp.asarray(idx)]
        second = jax.vmap(lambda e: taylor(u, p, e, 2)[2])(basis)
        return jnp.sum(second, axis=0)

    return lap


def hessian(u: PointFunction) -> PointFunction:
    """The Hessian of a scalar function of one point (forward-over-forward), `(dim, dim)`."""
    return jax.jacfwd(jax.jacfwd(u))
