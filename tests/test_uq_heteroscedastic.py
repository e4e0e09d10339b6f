"""Heteroscedastic heads learn a known noise level; NLL and beta-NLL; MC dropout for the
MLP and FNO against the exact moments of a one-hidden-layer network."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.losses import beta_nll_loss, gaussian_nll_loss
from sciml_jax.nn import FNO, MLP
from sciml_jax.train import fit
from sciml_jax.uq import GaussianHead, mc_dropout_predict


def true_std(x):
    return 0.1 + 0.2 * (x + 1.0) / 2.0


def toy(key, n):
    kx, ke = jr.split(key)
    x = jr.uniform(kx, (n, 1), minval=-1.0, maxval=1.0)
    y = jnp.sin(2.0 * x[:, 0]) + true_std(x[:, 0]) * jr.normal(ke, (n,))
    return {"x": x, "y": y}


def test_learned_std_within_10_percent_and_nll_beats_homoscedastic(getkey):
    data, test = toy(getkey(), 4000), toy(getkey(), 4000)
    config = TrainConfig(
        steps=3000, chunk_size=1000, progress=False, optimizer=OptimizerConfig(learning_rate=3e-3)
    )

    def nll(head, batch, key):
        return beta_nll_loss(*jax.vmap(head)(batch["x"]), batch["y"], beta=0.5)

    head = GaussianHead(MLP(1, 2, 32, 2, key=getkey()), min_variance=1e-6)
    head = fit(head, nll, config, key=getkey(), data=data).model
    grid = jnp.linspace(-1.0, 1.0, 101)[:, None]
    _, variance = jax.vmap(head)(grid)
    error = jnp.abs(jnp.sqrt(variance) / true_std(grid[:, 0]) - 1)
    assert float(error.max()) < 0.10, float(error.max())

    def mse(model, batch, key):
        return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)

    plain = fit(MLP(1, "scalar", 32, 2, key=getkey()), mse, config, key=getkey(), data=data).model
    sigma2 = mse(plain, data, None)  # the maximum-likelihood constant variance
    homoscedastic = gaussian_nll_loss(jax.vmap(plain)(test["x"]), sigma2, test["y"])
    heteroscedastic = gaussian_nll_loss(*jax.vmap(head)(test["x"]), test["y"])
    # expected gap: log sqrt(E[sigma^2]) - E[log sigma(x)] (Jensen) = 0.086 nats here
    assert float(heteroscedastic) < float(homoscedastic) - 0.04


def test_nll_minimiser_and_beta_weighting():
    residual = jnp.array([0.3, -1.2, 0.7])
    zero = jnp.zeros(3)
    for loss in (gaussian_nll_loss, lambda m, v, y: beta_nll_loss(m, v, y, beta=1.0)):
        grad = jax.grad(lambda v, loss=loss: loss(zero, v, residual))(residual**2)
        np.testing.assert_allclose(grad, 0.0, atol=1e-6)  # minimum at variance = r^2
    variance = jnp.array([0.1, 1.0, 10.0])
    plain = jax.grad(lambda m: gaussian_nll_loss(m, variance, residual))(zero)
    beta1 = jax.grad(lambda m: beta_nll_loss(m, variance, residual, beta=1.0))(zero)
    np.testing.assert_allclose(beta1, plain * variance, rtol=1e-6)  # the MSE gradient
    np.testing.assert_allclose(beta1, -residual / 3, rtol=1e-6)
    with pytest.raises(ValueError, match="beta"):
        beta_nll_loss(zero, variance, residual, beta=2.0)


def test_dropout_zero_and_no_key_are_bit_identical(getkey):
    key = getkey()
    x = jr.normal(getkey(), (1, 7))
    plain = MLP(1, 3, 16, 2, key=key)
    dropped = MLP(1, 3, 16, 2, dropout=0.3, key=key)
    call = eqx.filter_jit(lambda m, x, k: m(x) if k is None else m(x, key=k))
    reference = call(plain, x, None)
    assert np.array_equal(call(dropped, x, None), reference)  # no key: deterministic
    assert np.array_equal(call(plain, x, getkey()), reference)  # rate 0: no masks
    assert not np.array_equal(call(dropped, x, getkey()), reference)
    fno_key, a = getkey(), jr.normal(getkey(), (1, 32))
    fno = FNO(1, 1, width=8, modes=4, num_layers=2, key=fno_key)
    fno_dropped = FNO(1, 1, width=8, modes=4, num_layers=2, dropout=0.2, key=fno_key)
    assert np.array_equal(call(fno_dropped, a, None), call(fno, a, None))
    assert np.array_equal(call(fno, a, getkey()), call(fno, a, None))
    assert not np.array_equal(call(fno_dropped, a, getkey()), call(fno, a, None))
    with pytest.raises(ValueError, match="dropout"):
        MLP(1, 1, dropout=1.0, key=key)


def test_mc_dropout_matches_exact_moments_of_one_hidden_layer(getkey):
    rate = 0.25
    net = MLP(2, "scalar", 64, 1, dropout=rate, key=getkey())
    x = jr.normal(getkey(), (3, 2))
    num_samples = 4000
    prediction = eqx.filter_jit(mc_dropout_predict)(net, x, key=getkey(), num_samples=num_samples)
    # u = w . (m * h / (1 - p)) + b: mean w . h + b, variance sum w^2 h^2 p / (1 - p)
    hidden = net.activation(jax.vmap(net.layers[0])(x))
    w = net.layers[1].weight[0]
    exact_mean = hidden @ w + net.layers[1].bias[0]
    exact_var = (hidden**2) @ (w**2) * rate / (1 - rate)
    standard_error = jnp.sqrt(exact_var / num_samples)
    assert bool(jnp.all(jnp.abs(prediction.mean - exact_mean) < 4 * standard_error))
    # the sample variance's relative standard error is about sqrt(2 / K) (a bit more: kurtosis)
    np.testing.assert_allclose(prediction.epistemic, exact_var, rtol=0.1)
    assert prediction.aleatoric is None


def test_mc_dropout_on_fno_and_gaussian_head(getkey):
    fno = FNO(1, 2, width=8, modes=4, num_layers=2, dropout=0.2, key=getkey())
    head = GaussianHead(fno)
    a = jr.normal(getkey(), (5, 1, 16))
    prediction = eqx.filter_jit(mc_dropout_predict)(head, a, key=getkey(), num_samples=8)
    assert prediction.mean.shape == prediction.aleatoric.shape == (5, 16)
    np.testing.assert_allclose(
        prediction.variance, prediction.epistemic + prediction.aleatoric, rtol=1e-6
    )
    assert bool(jnp.all(prediction.epistemic > 0))
