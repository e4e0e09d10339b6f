"""Freeze masks for fine-tuning: hand-counted trainable sizes, frozen leaves bit-identical
after `fit` (weight decay included), every trainable leaf moved, and a linear probe that
reaches the least-squares fit on the frozen features."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from helpers import tree_equal_bits

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.nn import FNO, MLP
from sciml_jax.train import count_trainable, fit, freeze_except

QUIET = dict(progress=False)


# Built under one jit each: initialising op by op compiles every small op on its own.
_mlp = eqx.filter_jit(lambda key: MLP(2, "scalar", 8, 3, key=key))
_fno = eqx.filter_jit(
    lambda key: FNO(1, 1, width=4, modes=3, num_layers=2, projection_width=6, key=key)
)


def test_count_trainable_equals_a_hand_count(getkey):
    mlp = _mlp(getkey())
    # Dense layers 2 -> 8 -> 8 -> 8 -> 1, weights and biases.
    assert count_trainable(mlp) == (2 * 8 + 8) + 2 * (8 * 8 + 8) + (8 + 1) == 177
    assert count_trainable(mlp, freeze_except(mlp, lambda m: m.layers[-1])) == 9
    assert count_trainable(mlp, freeze_except(mlp, lambda m: m.layers[-1].bias)) == 1
    fno = _fno(getkey())
    lift = (1 + 1) * 4 + 4  # the input channel and the appended grid, to width 4
    block = 4 * 4 * 3 * 2 + (4 * 4 + 4)  # spectral (real, imaginary), pointwise
    head = (4 * 6 + 6) + (6 + 1)  # projection 4 -> 6 -> 1
    assert count_trainable(fno) == lift + 2 * block + head == 281
    assert count_trainable(fno, freeze_except(fno, lambda m: m.project_out)) == 7
    both = freeze_except(fno, lambda m: (m.project_hidden, m.project_out))
    assert count_trainable(fno, both) == head
    # Frozen leaves are True, trainable ones False, as `fit(frozen=...)` reads them.
    assert jax.tree.leaves(both.project_out) == [False, False]
    assert all(jax.tree.leaves((both.lift, both.blocks)))


def _regression(key, n=64, scale=1.0):
    kx, kn = jr.split(key)
    x = jr.uniform(kx, (n, 2), minval=-scale, maxval=scale)
    y = jnp.sin(2.0 * x[:, 0]) * jnp.cos(x[:, 1]) + 0.01 * jr.normal(kn, (n,))
    return {"x": x, "y": y}


def _mse(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def test_frozen_leaves_are_bit_identical_and_trainable_ones_move(getkey):
    model = _mlp(getkey())
    mask = freeze_except(model, lambda m: (m.layers[0], m.layers[-1]))
    # adamw decays every leaf it reaches, so a leaf the mask misses would move.
    config = TrainConfig(
        steps=60,
        chunk_size=20,
        optimizer=OptimizerConfig(name="adamw", learning_rate=1e-2, weight_decay=0.1),
        **QUIET,
    )
    result = fit(model, _mse, config, key=getkey(), data=_regression(getkey()), frozen=mask)
    trained = result.model
    assert tree_equal_bits(trained.layers[1:-1], model.layers[1:-1])
    for before, after in zip(
        jax.tree.leaves((model.layers[0], model.layers[-1])),
        jax.tree.leaves((trained.layers[0], trained.layers[-1])),
        strict=True,
    ):
        assert np.all(np.asarray(before) != np.asarray(after))  # every scalar moved
    assert result.history[-1]["loss"] < result.history[0]["loss"]


def test_frozen_fno_blocks_stay_bit_identical(getkey):
    fno = _fno(getkey())
    a = jr.normal(getkey(), (8, 1, 16))
    data = {"a": a, "u": 0.5 * jnp.roll(a, 3, axis=-1)}

    def loss(net, batch, key):
        return jnp.mean((jax.vmap(net)(batch["a"]) - batch["u"]) ** 2)

    mask = freeze_except(fno, lambda m: m.project_out)
    config = TrainConfig(
        steps=20,
        chunk_size=20,
        optimizer=OptimizerConfig(name="adamw", learning_rate=1e-2, weight_decay=0.1),
        **QUIET,
    )
    trained = fit(fno, loss, config, key=getkey(), data=data, frozen=mask).model
    frozen_part = lambda m: (m.lift, m.blocks, m.project_hidden)  # noqa: E731
    assert tree_equal_bits(frozen_part(trained), frozen_part(fno))
    assert np.all(np.asarray(trained.project_out.weight) != np.asarray(fno.project_out.weight))


def test_linear_probe_reaches_least_squares_on_the_frozen_features(getkey, x64):
    # With every hidden layer frozen the loss is quadratic in the last layer, whose best
    # weights are the least-squares fit of y on the last hidden activations and a 1.
    # A narrow net on spread-out inputs keeps the features well conditioned (the
    # quadratic's condition number ~1e4 rather than ~1e7), so L-BFGS converges in steps.
    model = eqx.filter_jit(lambda key: MLP(2, "scalar", 6, 2, key=key))(getkey())
    model = jax.tree.map(lambda x: x.astype(jnp.float64) if eqx.is_inexact_array(x) else x, model)
    data = jax.jit(lambda key: _regression(key, scale=3.0))(getkey())
    data = jax.tree.map(lambda x: x.astype(jnp.float64), data)

    def features(p):
        h = p
        for layer in model.layers[:-1]:
            h = model.activation(layer(h))
        return h

    hidden = jax.jit(jax.vmap(features))(data["x"])
    design = np.concatenate([np.asarray(hidden), np.ones((64, 1))], axis=1)
    solution = np.linalg.lstsq(design, np.asarray(data["y"]), rcond=None)[0]
    mask = freeze_except(model, lambda m: m.layers[-1])
    config = TrainConfig(steps=0, chunk_size=50, lbfgs_steps=200, **QUIET)
    trained = fit(model, _mse, config, key=getkey(), data=data, frozen=mask).model
    last = trained.layers[-1]
    learned = np.concatenate([np.asarray(last.weight).ravel(), np.asarray(last.bias)])
    np.testing.assert_allclose(learned, solution, rtol=0, atol=1e-8)
    assert tree_equal_bits(trained.layers[:-1], model.layers[:-1])


class _Counter(eqx.Module):
    weight: jax.Array
    count: jax.Array


def test_a_selection_without_weights_or_outside_the_model_is_refused(getkey):
    model = _Counter(jnp.ones(3), jnp.zeros((), jnp.int32))
    assert count_trainable(model) == 3
    with pytest.raises(ValueError, match="selects no floating-point arrays"):
        freeze_except(model, lambda m: m.count)
    with pytest.raises(ValueError, match="`where` failed on the MLP"):
        freeze_except(_mlp(getkey()), lambda m: m.layers[7])
