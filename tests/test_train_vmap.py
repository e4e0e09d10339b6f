"""Whole training runs as pure functions: vmapped over seeds and hyperparameters."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import optax
from helpers import tree_allclose, tree_equal_bits

from sciml_jax.config import TrainConfig
from sciml_jax.train import fit, train_pure

STEPS = 300
X = jnp.linspace(-1.0, 1.0, 64)[:, None]
DATA = {"x": X, "y": jnp.sin(2.0 * X) + 0.1 * X**3}


def make_model(key):
    return eqx.nn.MLP(1, 1, 16, 2, activation=jnp.tanh, key=key)


def mse(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def train_one(key, learning_rate=3e-3):
    return train_pure(make_model(key), mse, optax.adam(learning_rate), STEPS, key=key, data=DATA)


def test_eight_regressors_in_one_vmapped_call_match_separate_runs(getkey):
    keys = jr.split(getkey(), 8)
    models, losses = eqx.filter_jit(eqx.filter_vmap(train_one))(keys)
    assert losses.shape == (8, STEPS)
    train_single = eqx.filter_jit(train_one)
    for i in range(8):
        model_i, losses_i = train_single(keys[i])
        member = jax.tree.map(lambda leaf, i=i: leaf[i], eqx.filter(models, eqx.is_array))
        assert tree_allclose(member, eqx.filter(model_i, eqx.is_array), rtol=1e-4, atol=1e-6)
        assert tree_allclose(losses[i], losses_i, rtol=1e-4, atol=1e-7)
    # They trained: every member's loss fell by over an order of magnitude.
    assert bool(jnp.all(losses[:, -1] < 0.1 * losses[:, 0]))


def test_learning_rate_sweep_vmapped(getkey):
    key = getkey()
    rates = jnp.array([1e-3, 3e-3, 1e-2])
    losses = jax.jit(jax.vmap(lambda lr: train_one(key, lr)[1]))(rates)
    for i, rate in enumerate(rates):
        _, single = train_one(key, float(rate))
        assert tree_allclose(losses[i], single, rtol=1e-4, atol=1e-7)


def test_train_pure_equals_fit_with_one_chunk(getkey):
    key = getkey()
    model = make_model(key)
    pure_model, _ = eqx.filter_jit(
        lambda m: train_pure(m, mse, optax.adam(3e-3), STEPS, key=key, data=DATA)
    )(model)
    config = TrainConfig(steps=STEPS, chunk_size=STEPS, checkpoint_every=STEPS, progress=False)
    fitted = fit(model, mse, config, key=key, data=DATA, optimizer=optax.adam(3e-3)).model
    assert tree_equal_bits(eqx.filter(pure_model, eqx.is_array), eqx.filter(fitted, eqx.is_array))
