"""A thin typed layer over `diffrax.diffeqsolve`: solvers, controllers and adjoints by name."""

from collections.abc import Callable
from typing import Literal

import diffrax
import jax.numpy as jnp

from ..._types import Array

SOLVERS: dict[str, Callable[[], diffrax.AbstractSolver]] = {
    "euler": diffrax.Euler,
    "heun": diffrax.Heun,
    "midpoint": diffrax.Midpoint,
    "bosh3": diffrax.Bosh3,
    "tsit5": diffrax.Tsit5,
    "dopri5": diffrax.Dopri5,
    "dopri8": diffrax.Dopri8,
    "implicit_euler": diffrax.ImplicitEuler,
    "kvaerno3": diffrax.Kvaerno3,
    "kvaerno5": diffrax.Kvaerno5,
}

ADJOINTS: dict[str, Callable[[], diffrax.AbstractAdjoint]] = {
    "recursive_checkpoint": diffrax.RecursiveCheckpointAdjoint,
    "backsolve": diffrax.BacksolveAdjoint,
    "direct": diffrax.DirectAdjoint,
}

CONTROLLERS = ("pid", "constant")

SolverName = Literal[
    "euler",
    "heun",
    "midpoint",
    "bosh3",
    "tsit5",
    "dopri5",
    "dopri8",
    "implicit_euler",
    "kvaerno3",
    "kvaerno5",
]
"""The names of `SOLVERS`, as a type for config fields."""


def _choose(kind: str, name: str, allowed) -> None:
    if name not in allowed:
        raise ValueError(f"unknown {kind} {name!r}; choose one of {sorted(allowed)}.")


def solve_ode(
    vector_field: Callable[[Array, Array, object], Array],
    y0: Array,
    t0: float,
    t1: float,
    *,
    saveat: Array | None = None,
    solver: str = "tsit5",
    controller: str = "pid",
    dt0: float | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    adjoint: str = "recursive_checkpoint",
    max_steps: int = 100_000,
    args=None,
) -> diffrax.Solution:
    """Solve $\\dot y = f(t, y)$ from `t0` to `t1` with diffrax, everything chosen by name.

    **Arguments:**

    - `vector_field`: `f(t, y, args)`, e.g. `Lorenz().vector_field`.
    - `y0`: initial state.
    - `t0`, `t1`: the time interval.
    - `saveat`: times to save (default: `t1` only).
    - `solver`: one of `SOLVERS` (`"tsit5"`, `"dopri5"`, `"kvaerno5"` for stiff, ...).
    - `controller`: `"pid"` (adaptive, `rtol`/`atol`) or `"constant"` (fixed `dt0`).
    - `dt0`: initial (or fixed) step; required for `"constant"`.
    - `adjoint`: `"recursive_checkpoint"` (discretise-then-optimise, bounded memory),
      `"backsolve"` (continuous adjoint, O(1) memory) or `"direct"`.
    - `max_steps`: step cap.

    **Returns:**

    The `diffrax.Solution` (`.ts`, `.ys`, `.stats`).

    **Example:**

    ```python
    sol = solve_ode(Robertson().vector_field, jnp.array([1.0, 0, 0]), 0.0, 1e3,
                    solver="kvaerno5", saveat=jnp.geomspace(1e-3, 1e3, 20))
    ```
    """
    _choose("solver", solver, SOLVERS)
    _choose("adjoint", adjoint, ADJOINTS)
    _choose("step-size controller", controller, CONTROLLERS)
    if controller == "constant":
        if dt0 is None:
            raise ValueError(
                "controller='constant' needs a fixed step: pass dt0 (e.g. dt0=0.01), or "
                "use controller='pid' for adaptive stepping."
            )
        step_controller = diffrax.ConstantStepSize()
    else:
        step_controller = diffrax.PIDController(rtol=rtol, atol=atol)
    save = diffrax.SaveAt(ts=jnp.asarray(saveat)) if saveat is not None else diffrax.SaveAt(t1=True)
    return diffrax.diffeqsolve(
        diffrax.ODETerm(vector_field),
        SOLVERS[solver](),
        t0=t0,
        t1=t1,
        dt0=dt0,
        y0=y0,
        args=args,
        saveat=save,
        stepsize_controller=step_controller,
        adjoint=ADJOINTS[adjoint](),
        max_steps=max_steps,
    )
