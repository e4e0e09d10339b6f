"""Viscous Burgers by spectral ETDRK4 on [-1, 1): the reference solution for the PINN suite."""

from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from sciml_jax.analysis import rel_l2
from sciml_jax.config import spec
from sciml_jax.ops import make_grid
from sciml_jax.pde import burgers_cole_hopf
from sciml_jax.sim import BurgersStepper, rollout
from sciml_jax.viz import plot_solution_against_reference
from sciml_jax.workflow import experiment_config, timed

DESCRIPTION = "Burgers u_t + u u_x = (0.01/pi) u_xx from -sin(pi x), spectral ETDRK4 vs Cole-Hopf"


@dataclass(frozen=True)
class ProblemConfig:
    nu: float = spec(0.01 / np.pi, gt=0.0, doc="viscosity (0.01/pi is the PINN benchmark)")
    num_points: int = spec(1024, ge=8, doc="grid points on [-1, 1) (periodic)")
    dt: float = spec(1e-3, gt=0.0, doc="time step")
    t_final: float = spec(0.99, gt=0.0, doc="last saved time")
    save_every: int = spec(10, ge=1, doc="steps between saved states")
    order: int = spec(4, ge=1, le=4, doc="ETDRK order")
    convection_form: Literal["conservative", "advective"] = "advective"
    dealiasing_fraction: float = spec(1.0, gt=0.0, le=1.0, doc="1 = no dealiasing")


Config = experiment_config(problem=ProblemConfig)


def run(config: Config, run) -> dict:
    p = config.problem
    num_steps = int(round(p.t_final / p.dt))
    if abs(num_steps * p.dt - p.t_final) > 1e-9 * p.t_final or num_steps % p.save_every:
        raise ValueError(
            f"problem.t_final / problem.dt = {p.t_final / p.dt:g} must be an integer multiple "
            f"of problem.save_every={p.save_every}; e.g. dt=1e-3, t_final=0.99, save_every=10."
        )
    x = make_grid(1, 2.0, p.num_points, origin=-1.0)
    stepper = BurgersStepper(
        1,
        2.0,
        p.num_points,
        p.dt,
        diffusivity=p.nu,
        order=p.order,
        convection_form=p.convection_form,
        dealiasing_fraction=p.dealiasing_fraction,
    )
    solve = jax.jit(lambda u0: rollout(stepper, u0, num_steps, save_every=p.save_every))
    trajectory, wall = timed(solve, -jnp.sin(jnp.pi * x), warmup=True)
    t = jnp.arange(trajectory.shape[0]) * (p.save_every * p.dt)
    u = trajectory[:, 0]
    reference = jax.vmap(lambda ti: burgers_cole_hopf(x[0], ti, p.nu))(t)
    error = float(rel_l2(u, reference))
    run.save_npz("prediction", x=np.asarray(x[0]), t=np.asarray(t), u=np.asarray(u))
    figure = plot_solution_against_reference(x[0], t, u, reference, domain=(-1, 1))
    run.save_figure(figure, "prediction")
    return {
        "rel_l2": error,
        "rel_l2_reference": "Cole-Hopf on the same grid and save times",
        "solve_seconds": wall,
        "steps_per_second": num_steps / wall,
        "num_steps": num_steps,
        "dtype": str(u.dtype),
    }
