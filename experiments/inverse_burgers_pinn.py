r"""Inverse Burgers: $\lambda_1, \lambda_2$ in $u_t + \lambda_1 u u_x = \lambda_2 u_{xx}$."""

from dataclasses import dataclass, field
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import RunConfig, spec
from sciml_jax.losses import data_loss, profiled_residual_loss, residual_loss
from sciml_jax.nn import MLP
from sciml_jax.pde import Burgers, burgers_cole_hopf
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


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


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


def reference_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The classic 256 x 100 grid of Burgers' equation and its Cole–Hopf values (float64)."""
    x = np.linspace(-1.0, 1.0, 256)
    t = np.linspace(0.0, 0.99, 100)
    with jax.enable_x64(True):
        u = np.asarray(
            burgers_cole_hopf(jnp.asarray(x)[None, :], jnp.asarray(t)[:, None], TRUE_LAMBDA2)
        )
    return x, t, u


def observations(key, n: int, noise: float):
    """`n` points of the classic 256 x 100 grid with Cole–Hopf values (+ Gaussian noise)."""
    x, t, u = reference_grid()
    grid = np.stack(np.meshgrid(x, t, indexing="xy"), -1).reshape(-1, 2)
    pick_key, noise_key = jr.split(key)
    index = np.asarray(jr.choice(pick_key, grid.shape[0], (n,), replace=False))
    values = u.ravel()[index]
    values = values + noise * np.std(values) * np.asarray(jr.normal(noise_key, (n,)))
    return grid[index], values


def make_model(problem: ProblemConfig, key) -> InverseBurgersModel:
    return InverseBurgersModel(
        MLP(2, "scalar", problem.width, problem.depth, key=key),
        jnp.zeros(()),
        jnp.log(jnp.asarray(0.1)),
    )


def model_template(config: Config) -> InverseBurgersModel:
    return make_model(config.problem, jr.key(config.seed))


# A finished run as an artifact (sciml_jax/workflow/_artifacts.py).
INPUT_KEY, input_shape = workflow.POINTS, workflow.points_input_shape
predict = workflow.predict_points


def _residual(coefficients, u, p):
    return Burgers(convection=coefficients[0], viscosity=coefficients[1]).residual(u, p)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    data_key, model_key, train_key, point_key = jr.split(jr.key(config.seed), 4)
    points, values = observations(data_key, problem.n_observations, problem.noise)
    batch = {"points": jnp.asarray(points), "values": jnp.asarray(values)}
    if problem.n_residual:
        lo, hi = jnp.array([-1.0, 0.0]), jnp.array([1.0, 1.0])
        batch["collocation"] = lo + (hi - lo) * jr.uniform(point_key, (problem.n_residual, 2))
    model = make_model(problem, model_key)

    profiled = problem.coefficients == "profiled"
    start_coefficients = jnp.array([TRUE_LAMBDA1, 0.01])  # any value: the fit is exact

    def collocation_of(batch):
        return batch.get("collocation", batch["points"])

    def profiled_fit(model, batch):
        return profiled_residual_loss(
            _residual, start_coefficients, model.net, collocation_of(batch)
        )

    def residual_term(model, batch):
        if profiled:
            return profiled_fit(model, batch)[0]
        return residual_loss(model.pde.residual, model, collocation_of(batch))

    def loss_fn(model, batch, key):
        return {
            "data": data_loss(model, batch["points"], batch["values"]),
            "residual": residual_term(model, batch),
        }

    def coefficients_of(model):
        # trained coefficients are read off the model; only profiled ones need a fit
        if profiled:
            return profiled_fit(model, batch)[1]
        return jnp.stack([model.lambda1, jnp.exp(model.log_lambda2)])

    def evaluate(model):
        lambda1, lambda2 = coefficients_of(model)
        return {"lambda1": lambda1, "lambda2": lambda2}

    x, t, reference = reference_grid()
    pinn = workflow.fit_pinn(
        config,
        run,
        model,
        loss_fn,
        workflow.ReferenceGrid(("x", "t"), (x, t), reference),
        key=train_key,
        data=batch,
        metrics=evaluate,
        score_during_training=False,
        extras=lambda model: {"observations": points},
        figure={"terms": ("loss", "data", "residual")},
    )
    lambda1, lambda2 = (float(c) for c in eqx.filter_jit(coefficients_of)(pinn.model))
    summary = {
        "lambda1": lambda1,
        "lambda2": lambda2,
        "lambda1_rel_error": abs(lambda1 - TRUE_LAMBDA1) / TRUE_LAMBDA1,
        "lambda2_rel_error": abs(lambda2 - TRUE_LAMBDA2) / TRUE_LAMBDA2,
        "noise": problem.noise,
        "coefficients": problem.coefficients,
        "wall_time_s": pinn.seconds,
    }
    if run is not None:
        summary["rel_l2"] = pinn.rel_l2
    return summary
