"""Ensembles trained in one vmapped `fit`: members equal separate runs, resume is
bit-identical, the NaN guard names the member, and the law of total variance holds."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from helpers import tree_allclose, tree_equal_bits

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.nn import MLP
from sciml_jax.train import NonFiniteLossError, RunDir, fit
from sciml_jax.uq import Ensemble, GaussianHead, ensemble_loss, ensemble_predict, mixture_moments

X = jnp.linspace(-1.0, 1.0, 32)[:, None]
DATA = {"x": X, "y": jnp.sin(2.0 * X[:, 0])}
CONFIG = TrainConfig(
    steps=80,
    chunk_size=40,
    checkpoint_every=40,
    progress=False,
    optimizer=OptimizerConfig(learning_rate=3e-3),
)


def make_member(key):
    return MLP(1, "scalar", 12, 2, key=key)


def mse(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def test_members_equal_separately_trained_models(getkey):
    keys = jr.split(getkey(), 4)
    ensemble = Ensemble(eqx.filter_vmap(make_member)(keys))
    train_key = getkey()
    result = fit(ensemble, ensemble_loss(mse), CONFIG, key=train_key, data=DATA)
    assert set(result.history[-1]) >= {f"member_{i}" for i in range(4)}
    # Member i alone, with the key ensemble_loss gives it at every step (two checked).
    for i in (0, 3):

        def alone(model, batch, key, i=i):
            return mse(model, batch, jr.split(key, 4)[i])

        single = fit(make_member(keys[i]), alone, CONFIG, key=train_key, data=DATA)
        member = result.model.member(i)
        assert tree_allclose(
            eqx.filter(member, eqx.is_array),
            eqx.filter(single.model, eqx.is_array),
            rtol=1e-4,
            atol=1e-6,
        )
        np.testing.assert_allclose(
            result.history[-1][f"member_{i}"], single.history[-1]["loss"], rtol=1e-4
        )
    # and they are different networks that all trained
    first = [float(mse(ensemble.member(i), DATA, None)) for i in range(4)]
    last = [result.history[-1][f"member_{i}"] for i in range(4)]
    assert len(set(np.round(last, 6))) == 4
    assert max(last) < 0.5 * min(first)


def test_resume_is_bit_identical(tmp_path, getkey):
    ensemble = Ensemble.build(make_member, getkey(), 3)
    key = getkey()
    whole = fit(ensemble, ensemble_loss(mse), CONFIG, key=key, data=DATA)
    run = RunDir(tmp_path)
    short = TrainConfig(**{**CONFIG.__dict__, "steps": 40})
    fit(ensemble, ensemble_loss(mse), short, key=key, data=DATA, run=run)
    resumed = fit(ensemble, ensemble_loss(mse), CONFIG, key=key, data=DATA, run=run)
    assert tree_equal_bits(
        eqx.filter(whole.model, eqx.is_array), eqx.filter(resumed.model, eqx.is_array)
    )


class NaNForMember(eqx.Module):
    """A member whose output turns NaN when its `bad` flag is set."""

    scale: jax.Array
    bad: jax.Array

    def __call__(self, x):
        return self.scale * x[0] + jnp.where(self.bad > 0.5, jnp.nan, 0.0)


def test_nan_guard_names_the_member(getkey):
    bad = jnp.zeros(5).at[3].set(1.0)
    ensemble = Ensemble(NaNForMember(jnp.ones(5), bad))
    with pytest.raises(NonFiniteLossError) as caught:
        fit(ensemble, ensemble_loss(mse), CONFIG, key=getkey(), data=DATA)
    assert caught.value.term == "member_3" and caught.value.step == 0
    assert "'member_3'" in str(caught.value)


def test_law_of_total_variance(getkey):
    means = jr.normal(getkey(), (6, 50))
    variances = jnp.exp(jr.normal(getkey(), (6, 50)))
    moments = mixture_moments((means, variances))

    # the mixture's variance from samples of the mixture itself
    @jax.jit
    def mixture_draws(k1, k2):
        member = jr.randint(k1, (100_000,), 0, 6)
        return means[member, 7] + jnp.sqrt(variances[member, 7]) * jr.normal(k2, (100_000,))

    draws = mixture_draws(getkey(), getkey())
    assert abs(float(jnp.var(draws)) / float(moments.variance[7]) - 1) < 0.03
    np.testing.assert_allclose(moments.epistemic, jnp.var(means, axis=0), rtol=1e-5)
    np.testing.assert_allclose(moments.aleatoric, jnp.mean(variances, axis=0), rtol=1e-6)
    homoscedastic = mixture_moments(means)
    assert homoscedastic.aleatoric is None
    np.testing.assert_allclose(homoscedastic.variance, homoscedastic.epistemic)


def test_predict_splits_heteroscedastic_members(getkey):
    ensemble = Ensemble.build(lambda k: GaussianHead(MLP(1, 2, 8, 1, key=k)), getkey(), 4)
    prediction = eqx.filter_jit(ensemble_predict)(ensemble, X)
    assert prediction.mean.shape == prediction.aleatoric.shape == (32,)
    one = ensemble.member(2)
    mean_2, var_2 = jax.vmap(one)(X)
    stacked = jax.vmap(lambda x: ensemble(x))(X)  # (32, members) tuple
    np.testing.assert_allclose(stacked[0][:, 2], mean_2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stacked[1][:, 2], var_2, rtol=1e-5, atol=1e-6)
    assert bool(jnp.all(prediction.epistemic > 0)) and bool(jnp.all(prediction.aleatoric > 0))
