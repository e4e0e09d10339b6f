"""Flax (linen and nnx) models and plain `apply(params, x)` functions train in our loop."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from flax import linen, nnx

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.nn import PureFunctionModel, from_linen, from_nnx
from sciml_jax.train import fit

CONFIG = TrainConfig(steps=1500, optimizer=OptimizerConfig(learning_rate=2e-2), progress=False)


def linear_data(key):
    kx, kw = jr.split(key)
    x = jr.normal(kx, (128, 2))
    y = x @ jnp.array([1.5, -0.5]) + 0.25
    return {"x": x, "y": y[:, None]}


def mse(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def test_pure_function_model_recovers_linear_coefficients(getkey):
    params = {"w": jnp.zeros((2, 1)), "b": jnp.zeros(1)}
    model = PureFunctionModel(params, lambda p, x: x @ p["w"] + p["b"])
    result = fit(model, mse, CONFIG, key=getkey(), data=linear_data(getkey()))
    np.testing.assert_allclose(result.model.params["w"][:, 0], [1.5, -0.5], atol=1e-4)
    np.testing.assert_allclose(result.model.params["b"], [0.25], atol=1e-4)


def test_flax_linen_dense_recovers_linear_coefficients(getkey):
    module = linen.Dense(1)
    model = from_linen(module, module.init(getkey(), jnp.zeros(2))["params"])
    result = fit(model, mse, CONFIG, key=getkey(), data=linear_data(getkey()))
    np.testing.assert_allclose(result.model.params["kernel"][:, 0], [1.5, -0.5], atol=1e-4)
    np.testing.assert_allclose(result.model.params["bias"], [0.25], atol=1e-4)


def test_flax_nnx_linear_recovers_linear_coefficients(getkey):
    model = from_nnx(nnx.Linear(2, 1, rngs=nnx.Rngs(0)))
    result = fit(model, mse, CONFIG, key=getkey(), data=linear_data(getkey()))
    trained = nnx.merge(nnx.graphdef(nnx.Linear(2, 1, rngs=nnx.Rngs(0))), result.model.params)
    np.testing.assert_allclose(trained.kernel[...][:, 0], [1.5, -0.5], atol=1e-4)
    np.testing.assert_allclose(trained.bias[...], [0.25], atol=1e-4)
