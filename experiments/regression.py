"""Fit a smooth 1D function from noisy samples with an MLP: the engine's smallest example."""

from dataclasses import dataclass
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax import workflow
from sciml_jax.analysis import rel_l2
from sciml_jax.config import spec
from sciml_jax.nn import linen_mlp
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_history

DESCRIPTION = "MLP regression of sin(3x) + 0.5 x^2 from noisy samples (engine demo)"


@dataclass(frozen=True)
class ModelConfig:
    backend: Literal["equinox", "flax"] = "equinox"
    width: int = spec(64, ge=1)
    depth: int = spec(3, ge=1)


@dataclass(frozen=True)
class DataConfig:
    num_train: int = spec(256, ge=2)
    num_test: int = spec(1000, ge=2)
    noise: float = spec(0.01, ge=0.0, doc="std of Gaussian noise on the targets")


Config = workflow.experiment_config(model=ModelConfig, data=DataConfig)


def target(x):
    return jnp.sin(3 * x) + 0.5 * x**2


def make_model(config: ModelConfig, key):
    if config.backend == "equinox":
        return eqx.nn.MLP(1, 1, config.width, config.depth, activation=jnp.tanh, key=key)
    return linen_mlp(1, 1, config.width, config.depth, key=key)


def squared_error(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def run(config: Config, run: RunDir) -> dict:
    data_key, noise_key, model_key, train_key = jr.split(jr.key(config.seed), 4)
    x = jr.uniform(data_key, (config.data.num_train, 1), minval=-2.0, maxval=2.0)
    y = target(x) + config.data.noise * jr.normal(noise_key, x.shape)
    x_test = jnp.linspace(-2.0, 2.0, config.data.num_test)[:, None]

    def evaluate(model):
        return {"test_rel_l2": rel_l2(jax.vmap(model)(x_test), target(x_test))}

    model, data = make_model(config.model, model_key), {"x": x, "y": y}
    eval_fn = evaluate if config.train.eval_every else None
    result = fit(
        model, squared_error, config.train, key=train_key, data=data, run=run, eval_fn=eval_fn
    )
    prediction = jax.vmap(result.model)(x_test)
    run.save_figure(plot_history(result.history, ["loss"]), "loss")
    truth, data = ("truth", target(x_test)[:, 0]), ("training data", x[:, 0], y[:, 0])
    workflow.save_curves(run, x_test[:, 0], {"MLP": prediction[:, 0]}, truth, data, ("x", "y"))
    return {
        "test_rel_l2": float(rel_l2(prediction, target(x_test))),
        "final_loss": result.history[-1]["loss"],
        "steps": int(result.state.step),
        "stopped_early": result.stopped_early,
    }
