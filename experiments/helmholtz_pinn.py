"""2D Helmholtz (and Poisson, wavenumber 0) by a PINN with a hard Dirichlet ansatz."""

import time
from dataclasses import dataclass, field
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.analysis import rel_l2
from sciml_jax.config import RunConfig, spec
from sciml_jax.geometry import Rectangle
from sciml_jax.losses import residual_loss
from sciml_jax.nn import MLP, FourierFeatures
from sciml_jax.pde import Helmholtz
from sciml_jax.sampling import CollocationSampler
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import save_field_comparison

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


class DirichletAnsatz(eqx.Module):
    """u = (1 - x^2)(1 - y^2) N(x, y): zero on the boundary of [-1, 1]^2 exactly."""

    net: MLP

    def __call__(self, p):
        return (1 - p[0] ** 2) * (1 - p[1] ** 2) * self.net(p)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    pde = Helmholtz(wavenumber=problem.wavenumber, a1=problem.a1, a2=problem.a2)
    embed_key, model_key, train_key = jr.split(jr.key(config.seed), 3)
    embedding = (
        FourierFeatures(2, problem.fourier_features, problem.fourier_sigma, key=embed_key)
        if problem.fourier_features
        else None
    )
    model = DirichletAnsatz(
        MLP(
            2,
            "scalar",
            problem.width,
            problem.depth,
            problem.activation,
            embedding=embedding,
            key=model_key,
        )
    )
    sampler = CollocationSampler(
        Rectangle((-1.0, -1.0), (1.0, 1.0)),
        problem.n_residual,
        method=problem.sampler,
        resample_until=config.train.steps,
    )
    x = np.linspace(-1.0, 1.0, 101)
    y = np.linspace(-1.0, 1.0, 101)
    grid = jnp.stack(jnp.meshgrid(jnp.asarray(x), jnp.asarray(y), indexing="xy"), -1).reshape(-1, 2)
    reference = np.asarray(jax.vmap(pde.exact)(grid)).reshape(len(y), len(x))

    def loss_fn(model, batch, key):
        return {"residual": residual_loss(pde.residual, model, batch["interior"])}

    def evaluate(model):
        u = jax.vmap(model)(grid)
        return {"rel_l2": rel_l2(u, reference.ravel())}

    start = time.perf_counter()
    result = fit(
        model,
        loss_fn,
        config.train,
        key=train_key,
        sampler=sampler,
        run=run,
        eval_fn=evaluate if config.train.eval_every else None,
    )
    seconds = time.perf_counter() - start
    u = np.asarray(jax.vmap(result.model)(grid)).reshape(len(y), len(x))
    error = float(rel_l2(u, reference))
    if run is not None:
        run.save_npz("prediction", x=x, y=y, u=u, reference=reference)
        save_field_comparison(
            run,
            u,
            reference,
            x,
            y,
            history=result.history,
            terms=("loss", "rel_l2"),
            labels=("x", "y"),
            figsize=(4.5, 3.8),
        )
    return {"rel_l2": error, "wall_time_s": seconds, "steps": int(result.state.step)}
