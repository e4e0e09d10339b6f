"""Variable-coefficient Darcy flow by finite differences, solved by preconditioned CG,
differentiated implicitly."""

import functools
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp

from .._types import Array, Float

Averaging = Literal["harmonic", "arithmetic"]


def _face_coefficients(a: Array, averaging: str) -> tuple[Array, Array]:
    """Coefficients on the x-faces `(n-1, n)` and y-faces `(n, n-1)` of a nodal field."""
    if averaging == "harmonic":
        mean = lambda p, q: 2 * p * q / (p + q)
    else:
        mean = lambda p, q: 0.5 * (p + q)
    return mean(a[1:, :], a[:-1, :]), mean(a[:, 1:], a[:, :-1])


def _apply_operator(a: Array, u_interior: Array, averaging: str) -> Array:
    """$-\\nabla \\cdot (a \\nabla u)$ times $h^2$ at interior nodes, $u = 0$ on the boundary."""
    u = jnp.pad(u_interior, 1)
    ax, ay = _face_coefficients(a, averaging)
    flux_x = ax * (u[1:, :] - u[:-1, :])
    flux_y = ay * (u[:, 1:] - u[:, :-1])
    divergence = (flux_x[1:, 1:-1] - flux_x[:-1, 1:-1]) + (flux_y[1:-1, 1:] - flux_y[1:-1, :-1])
    return -divergence


def _diagonal(a: Array, averaging: str) -> Array:
    ax, ay = _face_coefficients(a, averaging)
    return ax[1:, 1:-1] + ax[:-1, 1:-1] + ay[1:-1, 1:] + ay[1:-1, :-1]


def _conjugate_gradient(a, rhs, averaging, rtol, max_steps):
    """Jacobi-preconditioned CG for the SPD system `A(a) x = rhs`."""
    inverse_diagonal = 1.0 / _diagonal(a, averaging)
    operator = lambda x: _apply_operator(a, x, averaging)
    tolerance = rtol * jnp.linalg.norm(rhs)

    def condition(carry):
        _, residual, _, _, step = carry
        return (jnp.linalg.norm(residual) > tolerance) & (step < max_steps)

    def body(carry):
        x, residual, direction, rz, step = carry
        a_direction = operator(direction)
        alpha = rz / jnp.vdot(direction, a_direction)
        x = x + alpha * direction
        residual = residual - alpha * a_direction
        z = inverse_diagonal * residual
        rz_new = jnp.vdot(residual, z)
        direction = z + (rz_new / rz) * direction
        return x, residual, direction, rz_new, step + 1

    x0 = jnp.zeros_like(rhs)
    z0 = inverse_diagonal * rhs
    carry = (x0, rhs, z0, jnp.vdot(rhs, z0), 0)
    x, _, _, _, steps = jax.lax.while_loop(condition, body, carry)
    return x, steps


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _darcy_solve(a, rhs, averaging, rtol, max_steps):
    return _conjugate_gradient(a, rhs, averaging, rtol, max_steps)[0]


def _darcy_solve_forward(a, rhs, averaging, rtol, max_steps):
    u = _conjugate_gradient(a, rhs, averaging, rtol, max_steps)[0]
    return u, (a, u)


def _darcy_solve_backward(averaging, rtol, max_steps, residuals, cotangent):
    # Implicit function theorem: A(a) u = f  =>  f_bar = A^{-T} u_bar = lambda and
    # a_bar = -lambda^T dA/da u. A is symmetric, so the adjoint solve reuses CG.
    a, u = residuals
    adjoint = _conjugate_gradient(a, cotangent, averaging, rtol, max_steps)[0]
    _, pullback = jax.vjp(lambda coefficient: _apply_operator(coefficient, u, averaging), a)
    (a_bar,) = pullback(-adjoint)
    return a_bar, adjoint


_darcy_solve.defvjp(_darcy_solve_forward, _darcy_solve_backward)


class DarcySolver(eqx.Module):
    """Steady Darcy flow $-\\nabla \\cdot (a \\nabla u) = f$ on $[0, 1]^2$, $u = 0$ on the boundary.

    The grid has `num_points` nodes per axis including the boundary ($h = 1/(n-1)$), as
    in the FNO Darcy data. The five-point flux discretisation (face coefficients by
    harmonic or arithmetic mean of the nodal $a$) is second order for smooth $a$ and
    symmetric positive definite, so it is solved matrix-free by Jacobi-preconditioned
    conjugate gradients in a `lax.while_loop`.

    Gradients are by implicit differentiation, not by unrolling CG: with
    $A(a) u = f$, the reverse pass solves one adjoint system $A \\lambda = \\bar u$ and
    returns $\\bar f = \\lambda$, $\\bar a = -\\lambda^\\top \\partial_a (A(a) u)$, so the
    memory of a gradient is that of two solves, independent of the iteration count.

    **Arguments:**

    - `num_points`: nodes per axis (including the boundary), >= 3.
    - `averaging`: `"harmonic"` (flux-continuous for jumps in $a$; default) or
      `"arithmetic"`.
    - `rtol`: CG stops at $\\|r\\| \\le$ `rtol` $\\|f\\|$.
    - `max_steps`: CG iteration cap.

    **Example:**

    ```python
    solver = DarcySolver(85)
    u = solver(a, jnp.ones((85, 85)))                 # (85, 85), zero on the boundary
    grad_a = jax.grad(lambda a: jnp.mean(solver(a, f) ** 2))(a)
    ```
    """

    num_points: int = eqx.field(static=True)
    averaging: Averaging = eqx.field(static=True)
    rtol: float = eqx.field(static=True)
    max_steps: int = eqx.field(static=True)

    def __init__(
        self,
        num_points: int,
        *,
        averaging: Averaging = "harmonic",
        rtol: float = 1e-6,
        max_steps: int = 20_000,
    ):
        if not isinstance(num_points, int) or num_points < 3:
            raise ValueError(
                f"num_points must be an int >= 3 (nodes per axis including the boundary), "
                f"got {num_points!r}."
            )
        if averaging not in ("harmonic", "arithmetic"):
            raise ValueError(f"averaging must be 'harmonic' or 'arithmetic', got {averaging!r}.")
        self.num_points = num_points
        self.averaging = averaging
        self.rtol = rtol
        self.max_steps = max_steps

    @property
    def spacing(self) -> float:
        return 1.0 / (self.num_points - 1)

    def grid(self) -> Float[Array, " 2 n n"]:
        """Node coordinates `(2, n, n)` on $[0, 1]^2$, boundary included."""
        x = jnp.linspace(0.0, 1.0, self.num_points)
        return jnp.stack(jnp.meshgrid(x, x, indexing="ij"))

    def _check(self, a: Array, f: Array) -> Array:
        shape = (self.num_points, self.num_points)
        if a.shape != shape or f.shape != shape:
            raise ValueError(
                f"DarcySolver({self.num_points}) takes a and f of shape {shape} (nodes, "
                f"boundary included), got a {a.shape} and f {f.shape}; vmap for a batch."
            )
        return eqx.error_if(a, jnp.min(a) <= 0, "Darcy coefficient a must be positive everywhere.")

    def residual(self, a: Array, u: Array, f: Array) -> Array:
        """$-\\nabla\\cdot(a\\nabla u) - f$ at the interior nodes `(n-2, n-2)`."""
        interior = _apply_operator(a, u[1:-1, 1:-1], self.averaging) / self.spacing**2
        return interior - f[1:-1, 1:-1]

    def __call__(self, a: Float[Array, " n n"], f: Float[Array, " n n"]) -> Float[Array, " n n"]:
        """Solve for one coefficient field `a` and source `f` (both nodal, `(n, n)`).

        **Returns:**

        The pressure $u$ `(n, n)`, zero on the boundary.
        """
        a = self._check(a, f)
        rhs = f[1:-1, 1:-1] * self.spacing**2
        u = _darcy_solve(a, rhs, self.averaging, self.rtol, self.max_steps)
        return jnp.pad(u, 1)

    def iterations(self, a: Array, f: Array) -> Array:
        """The number of CG iterations the forward solve takes (for diagnostics)."""
        a = self._check(a, f)
        rhs = f[1:-1, 1:-1] * self.spacing**2
        return _conjugate_gradient(a, rhs, self.averaging, self.rtol, self.max_steps)[1]
