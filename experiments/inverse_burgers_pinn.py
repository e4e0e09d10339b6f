r"""Inverse Burgers: $\lambda_1, \lambda_2$ in $u_t + \lambda_1 u u_x = \lambda_2 u_{xx}$ from
observations of the Cole–Hopf solution (Raissi et al., JCP 378, 2019)."""

from dataclasses import dataclass
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import spec
from sciml_jax.losses import data_loss, profiled_residual_loss, residual_loss
from sciml_jax.nn import MLP
from sciml_jax.pde import Burgers
from sciml_jax.train import RunDir

DESCRIPTION = "Inverse Burgers: learn lambda1=1, lambda2=0.01/pi from 2000 (noisy) observations"

TRUE_LAMBDA1 = 1.0
TRUE_LAMBDA2 = 0.01 / np.pi


@dataclass(frozen=True)
class ProblemConfig:
    n_observations: int = spec(2000, ge=10)
    noise: float = spec(0.0, ge=0.0, doc="observation noise, relative to the std of u")
    n_residual: int = spec(0, ge=0, doc="extra collocation points (0: the observation points)")
    width: int = spec(20, ge=1)
    depth: int = spec(8, ge=1)
    coefficients: Literal["trained", "profiled"] = spec(
        "trained",
        doc="trained: lambda1, log lambda2 are parameters; profiled: fitted in closed form "
        "to the current network at every step (variable projection)",
    )


Config = workflow.experiment_config(problem=ProblemConfig)


class InverseBurgersModel(eqx.Module):
    """The solution network and the unknown coefficients, trained together.

    `log_lambda2` keeps the viscosity positive and makes steps in it relative.
    """

    net: MLP
    lambda1: jax.Array
    log_lambda2: jax.Array

    def __call__(self, p):
        return self.net(p)

    @property
    def pde(self) -> Burgers:
        return Burgers(viscosity=jnp.exp(self.log_lambda2), convection=self.lambda1)


def observations(reference: workflow.ReferenceGrid, key, n: int, noise: float):
    """`n` points of the `reference` grid with its values (+ Gaussian noise)."""
    grid = np.stack(np.meshgrid(*reference.axes, indexing="xy"), -1).reshape(-1, 2)
    pick_key, noise_key = jr.split(key)
    index = np.asarray(jr.choice(pick_key, grid.shape[0], (n,), replace=False))
    values = reference.values.ravel()[index]
    values = values + noise * np.std(values) * np.asarray(jr.normal(noise_key, (n,)))
    return grid[index], values


def make_model(problem: ProblemConfig, key) -> InverseBurgersModel:
    net = MLP(2, "scalar", problem.width, problem.depth, key=key)
    return InverseBurgersModel(net, jnp.zeros(()), jnp.log(jnp.asarray(0.1)))


INPUT_KEY, input_shape, model_template, predict = workflow.pinn_artifact(
    lambda config: make_model(config.problem, jr.key(config.seed))
)


def _residual(coefficients, u, p):
    return Burgers(convection=coefficients[0], viscosity=coefficients[1]).residual(u, p)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    data_key, model_key, train_key, point_key = jr.split(jr.key(config.seed), 4)
    reference = workflow.burgers_reference(TRUE_LAMBDA2)
    points, values = observations(reference, data_key, problem.n_observations, problem.noise)
    batch = {"points": jnp.asarray(points), "values": jnp.asarray(values)}
    if problem.n_residual:
        lo, hi = jnp.array([-1.0, 0.0]), jnp.array([1.0, 1.0])
        batch["collocation"] = lo + (hi - lo) * jr.uniform(point_key, (problem.n_residual, 2))
    start_coefficients = jnp.array([TRUE_LAMBDA1, 0.01])  # any value: the fit is exact

    profiled = problem.coefficients == "profiled"

    def profiled_fit(model, batch):
        collocation = batch.get("collocation", batch["points"])
        return profiled_residual_loss(_residual, start_coefficients, model.net, collocation)

    def loss_fn(model, batch, key):
        data = data_loss(model, batch["points"], batch["values"])
        if profiled:
            return {"data": data, "residual": profiled_fit(model, batch)[0]}
        collocation = batch.get("collocation", batch["points"])
        return {"data": data, "residual": residual_loss(model.pde.residual, model, collocation)}

    def coefficients(model):
        # Trained coefficients are read off the model; only profiled ones need a fit.
        fitted = jnp.stack([model.lambda1, jnp.exp(model.log_lambda2)])
        lambda1, lambda2 = profiled_fit(model, batch)[1] if profiled else fitted
        return {"lambda1": lambda1, "lambda2": lambda2}

    pinn = workflow.fit_pinn(
        config,
        run,
        make_model(problem, model_key),
        loss_fn,
        reference,
        key=train_key,
        data=batch,
        metrics=coefficients,
        score_during_training=False,
        extras=lambda model: {"observations": points},
        figure={"terms": ("loss", "data", "residual")},
    )
    summary = {k: float(c) for k, c in eqx.filter_jit(coefficients)(pinn.model).items()}
    for name, true in (("lambda1", TRUE_LAMBDA1), ("lambda2", TRUE_LAMBDA2)):
        summary[f"{name}_rel_error"] = abs(summary[name] - true) / true
    summary |= {"noise": problem.noise, "coefficients": problem.coefficients}
    return summary | {"wall_time_s": pinn.seconds} | ({"rel_l2": pinn.rel_l2} if run else {})
