"""Long-horizon Kepler orbit: symplectic integrators keep the energy error bounded, RK4 drifts
(Hairer, Lubich & Wanner, *Geometric Numerical Integration*, ch. IX)."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from sciml_jax.config import spec
from sciml_jax.sim import (
    Kepler,
    Leapfrog,
    RungeKutta4,
    VelocityVerlet,
    energy_error_per_period,
    hamiltonian_vector_field,
    solve_semi_implicit_euler,
)
from sciml_jax.viz import plot_energy_error
from sciml_jax.workflow import experiment_config, timed

DESCRIPTION = (
    "Kepler e=0.5 over 1000 periods: velocity Verlet / leapfrog / diffrax"
    " semi-implicit Euler vs RK4 energy error"
)


@dataclass(frozen=True)
class ProblemConfig:
    eccentricity: float = spec(0.5, ge=0.0, lt=1.0)
    periods: int = spec(1000, ge=1, doc="number of orbital periods")
    steps_per_period: int = spec(1000, ge=10, doc="fixed step dt = period / this")
    include_semi_implicit_euler: bool = spec(True, doc="also run diffrax.SemiImplicitEuler")


Config = experiment_config(problem=ProblemConfig)


def run(config: Config, run) -> dict:
    p = config.problem
    kepler = Kepler()
    y0 = kepler.initial_state(p.eccentricity)
    dt = float(kepler.period()) / p.steps_per_period
    steppers = {
        "velocity_verlet": VelocityVerlet(kepler.acceleration, dt),
        "leapfrog": Leapfrog(kepler.acceleration, dt),
        "rk4": RungeKutta4(hamiltonian_vector_field(kepler.acceleration), dt),
    }
    curves, summary = {}, {"dt": dt, "steps": p.periods * p.steps_per_period}
    for name, stepper in steppers.items():
        solve = jax.jit(
            lambda y, s=stepper: energy_error_per_period(
                s, kepler.energy, y, p.periods, p.steps_per_period
            )
        )
        (errors, _), summary[f"{name}_seconds"] = timed(solve, y0)
        curves[name] = np.asarray(errors)
    if p.include_semi_implicit_euler:  # energy sampled 50 times per orbit
        samples, t1 = 50, p.periods * float(kepler.period())
        ts = jnp.linspace(0.0, t1, p.periods * samples + 1)
        max_steps = p.periods * p.steps_per_period + 10
        solve = lambda y: solve_semi_implicit_euler(
            kepler.acceleration, y, t1, dt, saveat=ts, max_steps=max_steps
        )
        ys, summary["semi_implicit_euler_seconds"] = timed(solve, y0)
        error = jnp.abs(kepler.energy(ys) / kepler.energy(y0) - 1)[1:].reshape(p.periods, samples)
        curves["semi_implicit_euler"] = np.asarray(error.max(axis=1))
    for name, errors in curves.items():
        summary[f"{name}_max_rel_energy_error"] = float(errors.max())
        summary[f"{name}_first_10_periods"] = float(errors[:10].max())
        summary[f"{name}_last_10_periods"] = float(errors[-10:].max())
    summary["rk4_drift_ratio_last_over_first"] = float(curves["rk4"][-1] / curves["rk4"][0])
    run.save_npz("energy_error", period=np.arange(1, p.periods + 1), **curves)
    title = f"Kepler e={p.eccentricity}, dt = T/{p.steps_per_period}"
    run.save_figure(plot_energy_error(curves, title=title), "energy_error")
    return summary
