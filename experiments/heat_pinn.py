"""The heat equation by a PINN with exact initial and boundary conditions, vs its modal solution."""

from dataclasses import dataclass

import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import spec
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.nn import MLP, Ansatz
from sciml_jax.pde import Heat
from sciml_jax.train import RunDir

DESCRIPTION = "Heat u_t = k u_xx on [0,1] x [0,1], two sine modes, hard IC/BC ansatz, vs exact"


@dataclass(frozen=True)
class ProblemConfig:
    diffusivity: float = spec(0.1, gt=0.0)
    modes: tuple[int, ...] = spec((1, 3), doc="sine mode numbers k of the initial condition")
    amplitudes: tuple[float, ...] = (1.0, 0.5)
    n_residual: int = spec(2000, ge=1)
    width: int = spec(32, ge=1)
    depth: int = spec(3, ge=1)


Config = workflow.experiment_config(problem=ProblemConfig)


def make_pde(problem: ProblemConfig) -> Heat:
    if len(problem.modes) != len(problem.amplitudes):
        raise ValueError(
            f"problem.modes {problem.modes} and problem.amplitudes {problem.amplitudes} need "
            "the same length (one amplitude per mode)."
        )
    modes = tuple((k,) for k in problem.modes)
    return Heat(diffusivity=problem.diffusivity, modes=modes, amplitudes=tuple(problem.amplitudes))


def make_model(problem: ProblemConfig, key) -> Ansatz:
    """u = u0(x) + t x (1 - x) N(x, t): the initial and boundary values hold exactly."""
    pde = make_pde(problem)

    def transform(p, n):
        return pde.initial(p) + p[1] * p[0] * (1 - p[0]) * n

    return Ansatz(MLP(2, "scalar", problem.width, problem.depth, key=key), transform)


INPUT_KEY, input_shape, model_template, predict = workflow.pinn_artifact(
    lambda config: make_model(config.problem, jr.key(config.seed))
)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    pde = make_pde(problem)
    model_key, train_key = jr.split(jr.key(config.seed))
    sampler = workflow.collocation(
        TimeDomain(Interval(0.0, 1.0), 0.0, 1.0), problem.n_residual, config, "sobol"
    )
    axes = (np.linspace(0.0, 1.0, 101), np.linspace(0.0, 1.0, 101))
    loss_fn = workflow.residual_only(pde.residual)
    model = make_model(problem, model_key)
    reference = workflow.ReferenceGrid.of(("x", "t"), axes, pde.exact)
    pinn = workflow.fit_pinn(config, run, model, loss_fn, reference, key=train_key, sampler=sampler)
    return pinn.summary()
