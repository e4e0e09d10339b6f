"""Variable-coefficient Darcy flow by finite differences, solved by preconditioned CG,
differentiated implicitly."""

import functools
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp

from ..._types import Array, Float

Averaging = Literal["harmonic", "arithmetic"]
Preconditioner = Literal["poisson", "jacobi"]


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


def _sine_transform(x: Array, axis: int) -> Array:
    """Unnormalised DST-I along `axis`: sum_i x_i sin(pi i k / (m + 1)), by one real FFT."""
    x = jnp.moveaxis(x, axis, -1)
    zero = jnp.zeros(x.shape[:-1] + (1,), x.dtype)
    odd_extension = jnp.concatenate([zero, x, zero, -x[..., ::-1]], axis=-1)
    y = -0.5 * jnp.fft.rfft(odd_extension, axis=-1).imag[..., 1:-1]
    return jnp.moveaxis(y.astype(x.dtype), -1, axis)


def _poisson_inverse(a: Array, averaging: str):
    """`r -> (c L)^-1 r`, with L the 5-point Dirichlet Laplacian and c the mean face value.

    Every face coefficient lies in [min a, max a], so the preconditioned operator has
    condition number <= max a / min a whatever the resolution (4 for the FNO data): CG
    then needs the same few tens of iterations at 85^2 as at 421^2, where Jacobi needs
    a number that grows like n.
    """
    m = a.shape[0] - 2
    ax, ay = _face_coefficients(a, averaging)
    scale = 0.5 * (jnp.mean(ax) + jnp.mean(ay))
    k = jnp.arange(1, m + 1, dtype=a.dtype)
    eigenvalue_1d = 4 * jnp.sin(jnp.pi * k / (2 * (m + 1))) ** 2
    # S^-1 = 2/(m+1) S per axis, so L^-1 = (2/(m+1))^2 S diag(1/lambda) S.
    inverse_eigenvalue = (2 / (m + 1)) ** 2 / (
        scale * (eigenvalue_1d[:, None] + eigenvalue_1d[None, :])
    )

    def apply(r):
        both = lambda x: _sine_transform(_sine_transform(x, 0), 1)
        return both(inverse_eigenvalue * both(r))

    return apply


def _conjugate_gradient(a, rhs, averaging, rtol, max_steps, preconditioner):
    """Preconditioned CG for the SPD system `A(a) x = rhs`."""
    if preconditioner == "poisson":
        precondition = _poisson_inverse(a, averaging)
    else:
        inverse_diagonal = 1.0 / _diagonal(a, averaging)
        precondition = lambda r: inverse_diagonal * r
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
        z = precondition(residual)
        rz_new = jnp.vdot(residual, z)
        direction = z + (rz_new / rz) * direction
        return x, residual, direction, rz_new, step + 1

    x0 = jnp.zeros_like(rhs)
    z0 = precondition(rhs)
    carry = (x0, rhs, z0, jnp.vdot(rhs, z0), 0)
    x, _, _, _, steps = jax.lax.while_loop(condition, body, carry)
    return x, steps


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _darcy_solve(a, rhs, averaging, rtol, max_steps, preconditioner):
    return _conjugate_gradient(a, rhs, averaging, rtol, max_steps, preconditioner)[0]


def _darcy_solve_forward(a, rhs, averaging, rtol, max_steps, preconditioner):
    u = _conjugate_gradient(a, rhs, averaging, rtol, max_steps, preconditioner)[0]
    return u, (a, u)


def _darcy_solve_backward(averaging, rtol, max_steps, preconditioner, residuals, cotangent):
    # Implicit function theorem: A(a) u = f  =>  f_bar = A^{-T} u_bar = lambda and
    # a_bar = -lambda^T dA/da u. A is symmetric, so the adjoint solve reuses CG.
    a, u = residuals
    adjoint = _conjugate_gradient(a, cotangent, averaging, rtol, max_steps, preconditioner)[0]
    _, pullback = jax.vjp(lambda coefficient: _apply_operator(coefficient, u, averaging), a)
    (a_bar,) = pullback(-adjoint)
    return a_bar, adjoint


_darcy_solve.defvjp(_darcy_solve_forward, _darcy_solve_backward)


class DarcySolver(eqx.Module):
    """Steady Darcy flow $-\\nabla \\cdot (a \\nabla u) = f$ on $[0, 1]^2$, $u = 0$ on the boundary.

    The grid has `num_points` nodes per axis including the boundary ($h = 1/(n-1)$), as
    in the FNO Darcy data. The five-point flux discretisation (face coefficients by
    harmonic or arithmetic mean of the nodal $a$) is second order for smooth $a$ and
    symmetric positive definite, so it is solved matrix-free by preconditioned conjugate
    gradients in a `lax.while_loop`. The default preconditioner is the constant-coefficient
    Poisson operator, inverted exactly by fast sine transforms: the iteration count is then
    bounded by the contrast max a / min a, not by the resolution.

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
    - `preconditioner`: `"poisson"` (fast-sine-transform Poisson solve, default) or
      `"jacobi"` (the diagonal; its iteration count grows like `num_points`).

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
    preconditioner: Preconditioner = eqx.field(static=True)

    def __init__(
        self,
        num_points: int,
        *,
        averaging: Averaging = "harmonic",
        rtol: float = 1e-6,
        max_steps: int = 20_000,
        preconditioner: Preconditioner = "poisson",
    ):
        if not isinstance(num_points, int) or num_points < 3:
            raise ValueError(
                f"num_points must be an int >= 3 (nodes per axis including the boundary), "
                f"got {num_points!r}."
            )
        if averaging not in ("harmonic", "arithmetic"):
            raise ValueError(f"averaging must be 'harmonic' or 'arithmetic', got {averaging!r}.")
        if preconditioner not in ("poisson", "jacobi"):
            raise ValueError(
                f"preconditioner must be 'poisson' or 'jacobi', got {preconditioner!r}."
            )
        self.num_points = num_points
        self.averaging = averaging
        self.rtol = rtol
        self.max_steps = max_steps
        self.preconditioner = preconditioner

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
        for name, x in (("a", a), ("f", f)):
            if not jnp.issubdtype(x.dtype, jnp.floating):
                raise ValueError(
                    f"DarcySolver got {name} of dtype {x.dtype}; expected a real floating "
                    f"dtype; cast with {name}.astype(jnp.float32)."
                )
        a = eqx.error_if(a, ~jnp.all(jnp.isfinite(f)), "DarcySolver: f contains NaN or inf.")
        # `a > 0` is False for NaN, which `a <= 0` let through
        return eqx.error_if(
            a,
            ~jnp.all((a > 0) & jnp.isfinite(a)),
            "Darcy coefficient a must be positive and finite everywhere.",
        )

    @eqx.filter_jit
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
        u = _darcy_solve(a, rhs, self.averaging, self.rtol, self.max_steps, self.preconditioner)
        return jnp.pad(u, 1)

    @eqx.filter_jit
    def iterations(self, a: Array, f: Array) -> Array:
        """The number of CG iterations the forward solve takes (for diagnostics)."""
        a = self._check(a, f)
        rhs = f[1:-1, 1:-1] * self.spacing**2
        return _conjugate_gradient(
            a, rhs, self.averaging, self.rtol, self.max_steps, self.preconditioner
        )[1]
