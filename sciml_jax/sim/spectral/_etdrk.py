"""Exponential time differencing Runge–Kutta (ETDRK) integrators of order 0 to 4.

For a semi-linear system in Fourier space,

$$\\partial_t \\hat u = L \\hat u + N(\\hat u),$$

with a diagonal (stiff) linear part $L$, the ETD schemes integrate $L$ exactly and the
nonlinear part $N$ by a Runge–Kutta rule (Cox & Matthews 2002). Their weights are the
$\\varphi$ functions

$$\\varphi_0(z) = e^z, \\quad \\varphi_{k+1}(z) = \\frac{\\varphi_k(z) - 1/k!}{z},$$

which lose all digits to cancellation for small $|z|$ when evaluated directly. For complex
$z$ (dispersive symbols) we follow Kassam & Trefethen (2005) and average them over a circle
of points around $z$ (Cauchy's integral formula with the trapezoidal rule), which is
accurate uniformly in $z$. For real $z$ (diffusive and hyperdiffusive symbols, the common
case) a Taylor series near 0 and the recurrence elsewhere are as accurate and about 30x
cheaper, which matters when a stepper is rebuilt per member of a vmapped parameter sweep.
"""

import functools
import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp

from ..._types import Array


def phi_functions(
    z: Array, max_order: int, *, num_circle_points: int = 32, circle_radius: float = 1.0
) -> list[Array]:
    """$[\\varphi_0(z), \\dots, \\varphi_{\\text{max\\_order}}(z)]$, accurate for every $z$.

    Complex `z`: by contour integral,
    $\\varphi_k(z) = \\frac{1}{M} \\sum_{j} \\varphi_k(z + r e^{i\\theta_j})$ with
    $\\theta_j = 2\\pi (j + 1/2) / M$ (the half-step offset keeps the contour points off
    the real axis).

    Real `z`: for $|z| < 1$ the series $\\varphi_k(z) = \\sum_{j \\ge 0} z^j / (j + k)!$
    (20 terms: truncation below float64 round-off); for $|z| \\ge 1$
    $\\varphi_1 = \\operatorname{expm1}(z) / z$ and the recurrence, which there loses at
    most a few ulps. One real `exp` per entry instead of $M$ complex ones.

    **Arguments:**

    - `z`: real or complex array of arguments (e.g. `L * dt`).
    - `max_order`: highest $\\varphi$ index wanted (0 to 3 for ETDRK4).
    - `num_circle_points`: $M$ (complex `z` only); 32 gives float64 round-off for $|z|$
      up to $10^8$.
    - `circle_radius`: $r$ (complex `z` only).

    **Returns:**

    A list of arrays shaped like `z`; real where `z` is real.
    """
    z = jnp.asarray(z)
    if not jnp.iscomplexobj(z):
        if not jnp.issubdtype(z.dtype, jnp.floating):
            z = z.astype(jnp.result_type(float))
        return _phi_functions_real(z, max_order)
    theta = 2 * jnp.pi * (jnp.arange(num_circle_points) + 0.5) / num_circle_points
    dtype = z.dtype
    roots = (circle_radius * jnp.exp(1j * theta)).astype(dtype)
    w = z[..., None] + roots
    phis_on_circle = [jnp.exp(w)]
    factorial = 1.0
    for k in range(1, max_order + 1):
        phis_on_circle.append((phis_on_circle[-1] - 1.0 / factorial) / w)
        factorial *= k
    phis = [jnp.mean(p, axis=-1) for p in phis_on_circle]
    # The exponential itself needs no contour; evaluating it directly is exact.
    phis[0] = jnp.exp(z)
    return phis


_SERIES_TERMS = 20


def _phi_functions_real(z: Array, max_order: int) -> list[Array]:
    # Both branches are evaluated on safe arguments (0 for the series outside |z| < 1, 1 for
    # the recurrence inside), so neither produces inf/nan that `where` would pass on to
    # gradients with respect to z (e.g. a viscosity being inferred).
    small = jnp.abs(z) < 1
    z_small = jnp.where(small, z, 0.0)
    z_large = jnp.where(small, 1.0, z)
    phis = [jnp.exp(z)]
    recurrence = jnp.expm1(z_large) / z_large
    for k in range(1, max_order + 1):
        if k > 1:
            recurrence = (recurrence - 1.0 / math.factorial(k - 1)) / z_large
        # Horner form of sum_j z^j / (j + k)!.
        series = jnp.full_like(z_small, 1.0 / math.factorial(_SERIES_TERMS + k))
        for j in range(_SERIES_TERMS - 1, -1, -1):
            series = series * z_small + 1.0 / math.factorial(j + k)
        phis.append(jnp.where(small, series, recurrence))
    return phis


# One compiled computation per symbol shape: built eagerly, the phi functions and weights
# are dozens of separately dispatched device ops, seconds for a small 3D stepper.
@functools.partial(jax.jit, static_argnums=(2, 3, 4))
def _etdrk_coefficients(linear_symbol, dt, order, num_circle_points, circle_radius):
    kwargs = dict(num_circle_points=num_circle_points, circle_radius=circle_radius)
    z = linear_symbol * dt
    phi = phi_functions(z, min(max(order, 1), 3), **kwargs)
    if order <= 1:
        return phi[0], phi[0], (dt * phi[1],) if order == 1 else ()
    if order == 2:
        return phi[0], phi[0], (dt * phi[1], dt * phi[2])
    half = phi_functions(z / 2, 1, **kwargs)
    half_weight = dt / 2 * half[1]
    full_weight = dt * phi[1]
    weight_u = dt * (phi[1] - 3 * phi[2] + 4 * phi[3])
    weight_ab = dt * (phi[2] - 2 * phi[3])
    weight_c = dt * (4 * phi[3] - phi[2])
    if order == 3:
        return phi[0], half[0], (half_weight, full_weight, weight_u, 4 * weight_ab, weight_c)
    return phi[0], half[0], (half_weight, weight_u, 2 * weight_ab, weight_c)


class ETDRK(eqx.Module):
    """One step of an ETDRK scheme for $\\partial_t \\hat u = L \\hat u + N(\\hat u)$.

    Orders (Cox & Matthews 2002, Kassam & Trefethen 2005):

    - 0: $\\hat u_{n+1} = e^{L h} \\hat u_n$ (exact for linear problems; ignores $N$);
    - 1: $\\hat u_{n+1} = e^{Lh}\\hat u_n + h\\varphi_1(Lh) N_n$;
    - 2: adds the corrector $h\\varphi_2(Lh)(N(a) - N_n)$;
    - 3: Cox–Matthews ETD3RK;
    - 4: Cox–Matthews ETD4RK (the Kassam–Trefethen coefficients).

    All coefficients are precomputed at construction from `linear_symbol * dt`; the
    construction is pure jnp, so a stepper can be built inside `jax.vmap`/`jax.grad` over
    its physical parameters.

    **Arguments:**

    - `linear_symbol`: $L$, an array in the layout of $\\hat u$ (broadcastable to it).
    - `dt`: the time step $h$.
    - `order`: 0, 1, 2, 3 or 4.
    - `num_circle_points`, `circle_radius`: see `phi_functions`.
    """

    order: int = eqx.field(static=True)
    dt: float
    exp_full: Array
    exp_half: Array
    coefficients: tuple[Array, ...]

    def __init__(
        self,
        linear_symbol: Array,
        dt: float,
        order: int = 2,
        *,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        if order not in (0, 1, 2, 3, 4):
            raise ValueError(
                f"ETDRK order must be 0, 1, 2, 3 or 4, got {order!r}; "
                "order 0 is the exact linear propagator, 4 is Cox–Matthews ETD4RK."
            )
        self.order = order
        self.dt = dt
        self.exp_full, self.exp_half, self.coefficients = _etdrk_coefficients(
            linear_symbol, dt, order, num_circle_points, circle_radius
        )

    def step(self, u_hat: Array, nonlinear: Callable[[Array], Array]) -> Array:
        """Advance $\\hat u$ by one step `dt`.

        **Arguments:**

        - `u_hat`: the state in Fourier space.
        - `nonlinear`: $\\hat u \\mapsto N(\\hat u)$, same layout in and out.

        **Returns:**

        $\\hat u$ at $t + h$.
        """
        e, c = self.exp_full, self.coefficients
        if self.order == 0:
            return e * u_hat
        n_u = nonlinear(u_hat)
        if self.order == 1:
            return e * u_hat + c[0] * n_u
        if self.order == 2:
            a = e * u_hat + c[0] * n_u
            return a + c[1] * (nonlinear(a) - n_u)
        e2 = self.exp_half
        if self.order == 3:
            half_weight, full_weight, w_u, w_a, w_b = c
            a = e2 * u_hat + half_weight * n_u
            n_a = nonlinear(a)
            b = e * u_hat + full_weight * (2 * n_a - n_u)
            return e * u_hat + w_u * n_u + w_a * n_a + w_b * nonlinear(b)
        half_weight, w_u, w_ab, w_c = c
        e2u = e2 * u_hat
        a = e2u + half_weight * n_u
        n_a = nonlinear(a)
        b = e2u + half_weight * n_a
        n_b = nonlinear(b)
        c_state = e2 * a + half_weight * (2 * n_b - n_u)
        return e * u_hat + w_u * n_u + w_ab * (n_a + n_b) + w_c * nonlinear(c_state)
