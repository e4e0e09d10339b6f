"""The heat equation by a PINN with exact initial and boundary conditions, vs its modal solution."""

import time
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.analysis import rel_l2
from sciml_jax.config import RunConfig, spec
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.losses import residual_loss
from sciml_jax.nn import MLP
from sciml_jax.pde import Heat
from sciml_jax.sampling import CollocationSampler
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import save_field_comparison

DESCRIPTION = "Heat u_t = k u_xx on [0,1] x [0,1], two sine modes, hard IC/BC ansatz, vs exact"


@dataclass(frozen=True)
class ProblemConfig:
    diffusivity: float = spec(0.1, gt=0.0)
    modes: tuple[int, ...] = spec((1, 3), doc="sine mode numbers k of the initial condition")
    amplitudes: tuple[float, ...] = (1.0, 0.5)
    n_residual: int = spec(2000, ge=1)
    width: int = spec(32, ge=1)
    depth: int = spec(3, ge=1)


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


class HeatAnsatz(eqx.Module):
    """u = u0(x) + t x (1 - x) N(x, t): the initial and boundary values hold exactly."""

    net: MLP
    pde: Heat

    def __call__(self, p):
        x, t = p[0], p[1]
        return self.pde.initial(p) + t * x * (1 - x) * self.net(p)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    if len(problem.modes) != len(problem.amplitudes):
        raise ValueError(
            f"problem.modes {problem.modes} and problem.amplitudes {problem.amplitudes} need "
            "the same length (one amplitude per mode)."
        )
    pde = Heat(
        diffusivity=problem.diffusivity,
        modes=tuple((k,) for k in problem.modes),
        amplitudes=tuple(problem.amplitudes),
    )
    model_key, train_key = jr.split(jr.key(config.seed))
    model = HeatAnsatz(MLP(2, "scalar", problem.width, problem.depth, key=model_key), pde)
    sampler = CollocationSampler(
        TimeDomain(Interval(0.0, 1.0), 0.0, 1.0),
        problem.n_residual,
        method="sobol",
        resample_until=config.train.steps,
    )
    x = np.linspace(0.0, 1.0, 101)
    t = np.linspace(0.0, 1.0, 101)
    grid = jnp.stack(jnp.meshgrid(jnp.asarray(x), jnp.asarray(t), indexing="xy"), -1).reshape(-1, 2)
    reference = np.asarray(jax.vmap(pde.exact)(grid)).reshape(len(t), len(x))

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
    u = np.asarray(jax.vmap(result.model)(grid)).reshape(len(t), len(x))
    error = float(rel_l2(u, reference))
    if run is not None:
        run.save_npz("prediction", x=x, t=t, u=u, reference=reference)
        save_field_comparison(
            run, u.T, reference.T, t, x, history=result.history, terms=("loss", "rel_l2")
        )
    return {"rel_l2": error, "wall_time_s": seconds, "steps": int(result.state.step)}
