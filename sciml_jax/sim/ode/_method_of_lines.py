"""Method of lines: a spatially discretised PDE handed to diffrax as a large ODE."""

from collections.abc import Callable

import diffrax

from ..._types import Array
from ..spectral._base import AbstractSpectralStepper
from ._ode import solve_ode


def spectral_rhs(stepper: AbstractSpectralStepper) -> Callable[[Array, Array, object], Array]:
    """The semi-discrete right-hand side $\\dot u = \\mathcal{F}^{-1}[L \\hat u + N(\\hat u)]$.

    Uses the PDE statement of a spectral stepper (its `linear_symbol` and `nonlinear`),
    not its time integrator, so any spectral PDE can be integrated by an adaptive diffrax
    solver instead of ETDRK. Stiff linear parts call for an implicit solver.

    **Returns:**

    `f(t, u, args)` for `diffrax.ODETerm` / `solve_ode`.
    """
    linear = stepper.linear_symbol()

    def rhs(t, u, args=None):
        u_hat = stepper.to_fourier(u)
        return stepper.to_physical(linear * u_hat + stepper.nonlinear(u_hat)).astype(u.dtype)

    return rhs


def solve_method_of_lines(
    rhs: Callable[[Array, Array, object], Array],
    u0: Array,
    t0: float,
    t1: float,
    *,
    saveat: Array | None = None,
    solver: str = "tsit5",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    dt0: float | None = None,
    max_steps: int = 100_000,
) -> diffrax.Solution:
    """Integrate a semi-discretised PDE $\\dot u = F(u)$ with adaptive stepping.

    A wrapper of `solve_ode` with a PID controller: the ODE solver chooses the time
    steps from its error estimate, so a method-of-lines solve needs no CFL guess.

    **Arguments:**

    - `rhs`: `f(t, u, args)` on the grid (e.g. `spectral_rhs(BurgersStepper(...))`, or a
      finite-difference right-hand side built from `sciml_jax.ops.fd_laplacian`).
    - `u0`: the initial field.
    - `t0`, `t1`, `saveat`, `solver`, `rtol`, `atol`, `dt0`, `max_steps`: see `solve_ode`.

    **Returns:**

    The `diffrax.Solution`; `.ys` stacks the saved fields.
    """
    return solve_ode(
        rhs,
        u0,
        t0,
        t1,
        saveat=saveat,
        solver=solver,
        controller="pid",
        dt0=dt0,
        rtol=rtol,
        atol=atol,
        max_steps=max_steps,
    )
