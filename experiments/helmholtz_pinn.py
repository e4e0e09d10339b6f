"""2D Helmholtz (and Poisson, wavenumber 0) by a PINN vs a manufactured solution (the sin-sin
case of Wang, Teng, Perdikaris, SIAM J. Sci. Comput. 43, 2021)."""

from dataclasses import dataclass
from typing import Literal

import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import spec
from sciml_jax.geometry import Rectangle
from sciml_jax.nn import Ansatz
from sciml_jax.pde import Helmholtz
from sciml_jax.train import RunDir

DESCRIPTION = (
    "Helmholtz/Poisson on [-1,1]^2, manufactured sin-sin solution, (1-x^2)(1-y^2) N ansatz"
)


@dataclass(frozen=True)
class ProblemConfig:
    wavenumber: float = spec(1.0, ge=0.0, doc="k in lap u + k^2 u = f; 0 gives Poisson")
    a1: int = spec(1, ge=1, doc="x frequency of the manufactured solution")
    a2: int = spec(4, ge=1, doc="y frequency of the manufactured solution")
    n_residual: int = spec(2048, ge=1)
    sampler: Literal["uniform", "lhs", "sobol"] = "sobol"
    width: int = spec(32, ge=1)
    depth: int = spec(3, ge=1)
    activation: Literal["tanh", "sin", "gelu", "swish"] = "tanh"
    fourier_features: int = spec(0, ge=0)
    fourier_sigma: float = spec(1.0, gt=0.0)


Config = workflow.experiment_config(problem=ProblemConfig)


def _dirichlet_ansatz(p, n):
    # u = (1 - x^2)(1 - y^2) N(x, y): zero on the boundary of [-1, 1]^2 exactly.
    return (1 - p[0] ** 2) * (1 - p[1] ** 2) * n


def make_model(problem: ProblemConfig, embed_key, net_key) -> Ansatz:
    net = workflow.mlp_from_config(problem, 2, key=net_key, embed_key=embed_key)
    return Ansatz(net, _dirichlet_ansatz)


INPUT_KEY, input_shape, model_template, predict = workflow.pinn_artifact(
    lambda config: make_model(config.problem, *jr.split(jr.key(config.seed)))
)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    pde = Helmholtz(wavenumber=problem.wavenumber, a1=problem.a1, a2=problem.a2)
    embed_key, net_key, train_key = jr.split(jr.key(config.seed), 3)
    sampler = workflow.collocation(
        Rectangle((-1.0, -1.0), (1.0, 1.0)), problem.n_residual, config, problem.sampler
    )
    axes = (np.linspace(-1.0, 1.0, 101), np.linspace(-1.0, 1.0, 101))
    loss_fn = workflow.residual_only(pde.residual)
    model = make_model(problem, embed_key, net_key)
    reference = workflow.ReferenceGrid.of(("x", "y"), axes, pde.exact)
    figure = {"figsize": (4.5, 3.8)}
    pinn = workflow.fit_pinn(
        config, run, model, loss_fn, reference, key=train_key, sampler=sampler, figure=figure
    )
    return pinn.summary()
