"""2D Helmholtz (and Poisson, wavenumber 0) by a PINN with a hard Dirichlet ansatz."""

from dataclasses import dataclass, field
from typing import Literal

import jax
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import RunConfig, spec
from sciml_jax.geometry import Rectangle
from sciml_jax.losses import residual_loss
from sciml_jax.nn import MLP, Ansatz, FourierFeatures
from sciml_jax.pde import Helmholtz
from sciml_jax.sampling import CollocationSampler
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


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


def _dirichlet_ansatz(p, n):
    # u = (1 - x^2)(1 - y^2) N(x, y): zero on the boundary of [-1, 1]^2 exactly.
    return (1 - p[0] ** 2) * (1 - p[1] ** 2) * n


def make_model(problem: ProblemConfig, embed_key, net_key) -> Ansatz:
    embedding = (
        FourierFeatures(2, problem.fourier_features, problem.fourier_sigma, key=embed_key)
        if problem.fourier_features
        else None
    )
    net = MLP(
        2,
        "scalar",
        problem.width,
        problem.depth,
        problem.activation,
        embedding=embedding,
        key=net_key,
    )
    return Ansatz(net, _dirichlet_ansatz)


def model_template(config: Config) -> Ansatz:
    return make_model(config.problem, *jr.split(jr.key(config.seed)))


# A finished run as an artifact (sciml_jax/workflow/_artifacts.py).
INPUT_KEY, input_shape = workflow.POINTS, workflow.points_input_shape
predict = workflow.predict_points


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    pde = Helmholtz(wavenumber=problem.wavenumber, a1=problem.a1, a2=problem.a2)
    embed_key, net_key, train_key = jr.split(jr.key(config.seed), 3)
    sampler = CollocationSampler(
        Rectangle((-1.0, -1.0), (1.0, 1.0)),
        problem.n_residual,
        method=problem.sampler,
        resample_until=config.train.steps,
    )
    x = np.linspace(-1.0, 1.0, 101)
    y = np.linspace(-1.0, 1.0, 101)
    exact = np.asarray(jax.vmap(pde.exact)(workflow.grid_points(x, y))).reshape(len(y), len(x))

    def loss_fn(model, batch, key):
        return {"residual": residual_loss(pde.residual, model, batch["interior"])}

    pinn = workflow.fit_pinn(
        config,
        run,
        make_model(problem, embed_key, net_key),
        loss_fn,
        workflow.ReferenceGrid(("x", "y"), (x, y), exact),
        key=train_key,
        sampler=sampler,
        figure={"terms": ("loss", "rel_l2"), "figsize": (4.5, 3.8)},
    )
    return {
        "rel_l2": pinn.rel_l2,
        "wall_time_s": pinn.seconds,
        "steps": int(pinn.result.state.step),
    }
