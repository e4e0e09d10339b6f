"""Data-parallel training over a 4-device CPU mesh equals single-device training."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import pytest
from helpers import tree_allclose

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.distributed import data_mesh, replicate, shard_batch
from sciml_jax.train import fit

CONFIG = TrainConfig(
    steps=200, chunk_size=100, optimizer=OptimizerConfig(learning_rate=3e-3), progress=False
)


def mse(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def test_sharded_batch_trains_to_the_same_parameters(getkey):
    assert len(jax.devices()) >= 4, "conftest sets --xla_force_host_platform_device_count=4"
    x = jr.uniform(getkey(), (256, 2), minval=-1, maxval=1)
    batch = {"x": x, "y": jnp.sin(3 * x[:, :1]) * x[:, 1:]}
    model = eqx.nn.MLP(2, 1, 32, 2, activation=jnp.tanh, key=getkey())
    key = getkey()
    single = fit(model, mse, CONFIG, key=key, data=batch).model
    mesh = data_mesh(4)
    sharded_batch = shard_batch(batch, mesh)
    assert len(sharded_batch["x"].sharding.device_set) == 4
    parallel = fit(replicate(model, mesh), mse, CONFIG, key=key, data=sharded_batch).model
    # Same mathematics, different summation order across devices: float32 round-off only.
    assert tree_allclose(
        eqx.filter(parallel, eqx.is_array), eqx.filter(single, eqx.is_array), rtol=1e-4, atol=1e-5
    )


def test_uneven_batch_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="multiple of 4"):
        shard_batch({"x": jnp.zeros((10, 2))}, data_mesh(4))
