"""Long-horizon Kepler orbit: symplectic integrators keep the energy error bounded, RK4 drifts."""

import time
from dataclasses import dataclass, field

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

from sciml_jax.config import RunConfig, spec
from sciml_jax.sim import (
    Kepler,
    Leapfrog,
    RungeKutta4,
    VelocityVerlet,
    hamiltonian_vector_field,
    rollout,
)
from sciml_jax.train import RunDir
from sciml_jax.viz import plot_energy_error

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


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


def _per_period_energy_error(stepper, kepler, y0, periods, per):
    """Max over each period of |H/H0 - 1|, without storing the full trajectory."""
    e0 = kepler.energy(y0)

    def one_period(state, _):
        q, p = rollout(stepper, state, per)
        error = jnp.abs(kepler.energy(jnp.concatenate([q, p], axis=-1)) / e0 - 1)
        return (q[-1], p[-1]), jnp.max(error)

    final, errors = jax.lax.scan(one_period, (y0[:2], y0[2:]), None, length=periods)
    return errors, final


def run(config: Config, run: RunDir) -> dict:
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
            lambda y, s=stepper: _per_period_energy_error(
                s, kepler, y, p.periods, p.steps_per_period
            )
        )
        start = time.perf_counter()
        errors, _ = jax.block_until_ready(solve(y0))
        summary[f"{name}_seconds"] = time.perf_counter() - start
        curves[name] = np.asarray(errors)

    if p.include_semi_implicit_euler:
        # diffrax's symplectic Euler: (p, q) kick-then-drift; energy sampled 50 times/orbit.
        terms = (
            diffrax.ODETerm(lambda t, q, args: kepler.acceleration(q)),
            diffrax.ODETerm(lambda t, momentum, args: momentum),
        )
        samples = 50
        t1 = p.periods * float(kepler.period())
        ts = jnp.linspace(0.0, t1, p.periods * samples + 1)
        start = time.perf_counter()
        solution = jax.jit(
            lambda y: diffrax.diffeqsolve(
                terms,
                diffrax.SemiImplicitEuler(),
                0.0,
                t1,
                dt,
                (y[2:], y[:2]),
                saveat=diffrax.SaveAt(ts=ts),
                max_steps=p.periods * p.steps_per_period + 10,
            )
        )(y0)
        momentum, position = solution.ys
        jax.block_until_ready(momentum)
        summary["semi_implicit_euler_seconds"] = time.perf_counter() - start
        energy = kepler.energy(jnp.concatenate([position, momentum], axis=-1))
        error = jnp.abs(energy / kepler.energy(y0) - 1)[1:].reshape(p.periods, samples)
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
