"""Classic ODEs through diffrax with solver, step-size controller and adjoint from the config."""

from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp

from sciml_jax.analysis import gradient_check
from sciml_jax.config import spec
from sciml_jax.sim import (
    DampedPendulum,
    Kepler,
    Lorenz,
    LotkaVolterra,
    Robertson,
    SolverName,
    invariant_errors,
    solve_ode,
)
from sciml_jax.viz import plot_ode_trajectory
from sciml_jax.workflow import experiment_config, timed

DESCRIPTION = (
    "Lorenz / pendulum / Lotka-Volterra / Kepler / Robertson via diffrax, with"
    " invariants and a gradient check"
)

SYSTEMS = {
    "lorenz": (Lorenz, [1.0, 1.0, 1.0]),
    "damped_pendulum": (DampedPendulum, [2.5, 0.0]),
    "lotka_volterra": (LotkaVolterra, [10.0, 5.0]),
    "kepler": (Kepler, None),
    "robertson": (Robertson, [1.0, 0.0, 0.0]),
}


@dataclass(frozen=True)
class ODEConfig:
    system: Literal["lorenz", "damped_pendulum", "lotka_volterra", "kepler", "robertson"] = "lorenz"
    t_final: float = spec(20.0, gt=0.0)
    num_saves: int = spec(2000, ge=2)
    log_time: bool = spec(False, doc="save at log-spaced times (for stiff kinetics)")
    solver: SolverName = "tsit5"
    controller: Literal["pid", "constant"] = "pid"
    dt0: float | None = spec(None, gt=0.0, doc="initial or fixed step")
    rtol: float = spec(1e-8, gt=0.0)
    atol: float = spec(1e-10, gt=0.0)
    adjoint: Literal["recursive_checkpoint", "backsolve", "direct"] = "recursive_checkpoint"
    max_steps: int = spec(1_000_000, ge=1)
    kepler_eccentricity: float = spec(0.5, ge=0.0, lt=1.0)


Config = experiment_config(ode=ODEConfig)


def run(config: Config, run) -> dict:
    c = config.ode
    cls, y0 = SYSTEMS[c.system]
    system = cls()
    y0 = system.initial_state(c.kepler_eccentricity) if y0 is None else jnp.asarray(y0)
    if c.log_time:
        ts = jnp.concatenate([jnp.zeros(1), jnp.geomspace(1e-6, c.t_final, c.num_saves - 1)])
    else:
        ts = jnp.linspace(0.0, c.t_final, c.num_saves)
    names = ("solver", "controller", "dt0", "rtol", "atol", "adjoint", "max_steps")
    options = {name: getattr(c, name) for name in names}
    solve = jax.jit(
        lambda y: solve_ode(system.vector_field, y, 0.0, c.t_final, saveat=ts, **options)
    )
    solution, wall = timed(solve, y0, warmup=True)
    ys = solution.ys
    summary = {
        "solve_seconds": wall,
        "num_steps": int(solution.stats["num_steps"]),
        "num_rejected_steps": int(solution.stats["num_rejected_steps"]),
        **invariant_errors(system, ys),
    }
    # Gradient of a final-state functional w.r.t. the initial state, by the configured
    # adjoint, against finite differences (over a short horizon: chaos amplifies both).
    horizon = min(c.t_final, 1.0)
    final = lambda y: jnp.sum(solve_ode(system.vector_field, y, 0.0, horizon, **options).ys[-1])
    direction, epsilon = jnp.ones_like(y0) / jnp.sqrt(y0.size), 1e-5 * float(jnp.linalg.norm(y0))
    check = gradient_check(jax.jit(final), y0, direction, epsilon=epsilon)
    summary["gradient_check_relative_difference"] = check["relative_difference"]
    run.save_npz("trajectory", t=ts, y=ys)
    title = f"{c.system} ({c.solver}, {c.controller})"
    run.save_figure(plot_ode_trajectory(ts, ys, title=title, log_time=c.log_time), "trajectory")
    return summary
