"""Fit a smooth 1D function from noisy samples with an MLP: the engine's smallest example."""

from dataclasses import dataclass, field
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax.analysis import rel_l2
from sciml_jax.config import RunConfig, spec
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_curves, plot_history

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


@dataclass(frozen=True)
class Config(RunConfig):
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)


def target(x):
    return jnp.sin(3 * x) + 0.5 * x**2


def make_model(config: ModelConfig, key):
    if config.backend == "equinox":
        return eqx.nn.MLP(1, 1, config.width, config.depth, activation=jnp.tanh, key=key)
    from flax import linen

    from sciml_jax.nn import from_linen

    class FlaxMLP(linen.Module):
        @linen.compact
        def __call__(self, x):
            for _ in range(config.depth):
                x = jnp.tanh(linen.Dense(config.width)(x))
            return linen.Dense(1)(x)

    module = FlaxMLP()
    return from_linen(module, module.init(key, jnp.zeros(1))["params"])


def squared_error(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def run(config: Config, run: RunDir) -> dict:
    data_key, noise_key, model_key, train_key = jr.split(jr.key(config.seed), 4)
    x = jr.uniform(data_key, (config.data.num_train, 1), minval=-2.0, maxval=2.0)
    y = target(x) + config.data.noise * jr.normal(noise_key, x.shape)
    x_test = jnp.linspace(-2.0, 2.0, config.data.num_test)[:, None]

    def evaluate(model):
        return {"test_rel_l2": rel_l2(jax.vmap(model)(x_test), target(x_test))}

    result = fit(
        make_model(config.model, model_key),
        squared_error,
        config.train,
        key=train_key,
        data={"x": x, "y": y},
        run=run,
        eval_fn=evaluate if config.train.eval_every else None,
    )
    prediction = jax.vmap(result.model)(x_test)
    run.save_npz("prediction", x=x_test[:, 0], u=prediction[:, 0], reference=target(x_test)[:, 0])
    run.save_figure(plot_history(result.history, ["loss"]), "loss")
    figure = plot_curves(
        x_test[:, 0],
        {"MLP": prediction[:, 0]},
        reference=("truth", target(x_test)[:, 0]),
        data=("training data", x[:, 0], y[:, 0]),
        labels=("x", "y"),
    )
    run.save_figure(figure, "prediction")
    return {
        "test_rel_l2": float(rel_l2(prediction, target(x_test))),
        "final_loss": result.history[-1]["loss"],
        "steps": int(result.state.step),
        "stopped_early": result.stopped_early,
    }
