"""Exact GP against a hand-computed 2-point posterior and numpy's solve (float64); the
custom marginal-likelihood gradient against autodiff through the Cholesky; AR1 recovers
a known rho; the multi-fidelity experiment's RMSE targets at test scale."""

import math

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax import uq
from sciml_jax.workflow import load_experiment

UNIT = {"log_lengthscale": jnp.zeros(1), "log_variance": 0.0}


def test_two_point_posterior_by_hand(x64):
    """x = (0, 1), y = (1, -1), unit RBF, noise s: y is an eigenvector of K."""
    s = 0.01
    params = {**UNIT, "log_noise": math.log(s)}
    x = jnp.array([[0.0], [1.0]])
    gp = uq.ExactGP.condition(uq.stationary("rbf"), params, x, jnp.array([1.0, -1.0]), jitter=0.0)
    c = math.exp(-0.5)
    mean, var = gp.predict(jnp.array([[0.0]]))
    np.testing.assert_allclose(mean, [(1 - c) / (1 + s - c)], rtol=1e-12)
    quad = 2 * ((1 + c) / 2) ** 2 / (1 + s + c) + 2 * ((1 - c) / 2) ** 2 / (1 + s - c)
    np.testing.assert_allclose(var, [1 - quad], rtol=1e-10)
    mean, _ = gp.predict(jnp.array([[0.5]]))
    np.testing.assert_allclose(mean, [0.0], atol=1e-14)  # antisymmetric data


@pytest.mark.parametrize("name", ["rbf", "matern52", "matern32"])
def test_posterior_against_numpy_solve(getkey, x64, name):
    x = jr.uniform(getkey(), (20, 2))
    y = jnp.sin(3 * x[:, 0]) + x[:, 1] ** 2
    x_new = jr.uniform(getkey(), (7, 2))
    params = {
        "log_lengthscale": jnp.log(jnp.array([0.3, 0.5])),
        "log_variance": 0.2,
        "log_noise": math.log(1e-3),
    }
    kernel = uq.stationary(name)
    gp = uq.ExactGP.condition(kernel, params, x, y, jitter=0.0)
    K = np.asarray(kernel(params, x, x)) + 1e-3 * np.eye(20)
    k_star = np.asarray(kernel(params, x, x_new))
    mean = k_star.T @ np.linalg.solve(K, np.asarray(y))
    var = math.exp(0.2) - np.sum(k_star * np.linalg.solve(K, k_star), axis=0)
    got_mean, got_var = gp.predict(x_new)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got_var, var, rtol=1e-7, atol=1e-12)
    # the marginal likelihood, and its custom gradient against autodiff through Cholesky
    nll = uq.neg_log_marginal_likelihood(kernel, params, x, y, jitter=0.0)
    _, logdet = np.linalg.slogdet(K)
    expected = (
        0.5 * y @ np.linalg.solve(K, np.asarray(y)) + 0.5 * logdet + 10 * math.log(2 * math.pi)
    )
    np.testing.assert_allclose(nll, expected, rtol=1e-10)

    def reference(p):
        C = kernel(p, x, x) + jnp.exp(p["log_noise"]) * jnp.eye(20)
        L = jnp.linalg.cholesky(C)
        a = jax.scipy.linalg.cho_solve((L, True), y)
        return 0.5 * y @ a + jnp.sum(jnp.log(jnp.diag(L)))

    ours = jax.grad(lambda p: uq.neg_log_marginal_likelihood(kernel, p, x, y, jitter=0.0))(params)
    theirs = jax.grad(reference)(params)
    for key in params:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-8, atol=1e-10)


def test_fit_gp_interpolates_and_is_calibrated_on_noise(getkey, x64):
    x = jnp.linspace(0, 1, 40)
    y = jnp.sin(6 * x) + 0.1 * jr.normal(getkey(), (40,))
    gp = uq.fit_gp(x, y, key=getkey(), num_restarts=4, steps=300)
    np.testing.assert_allclose(float(gp.noise_variance), 0.01, rtol=0.6)
    mean, _ = gp.predict(jnp.linspace(0, 1, 200)[:, None])
    assert float(jnp.sqrt(jnp.mean((mean - jnp.sin(6 * jnp.linspace(0, 1, 200))) ** 2))) < 0.05


def test_ar1_recovers_rho(getkey, x64):
    rho = 1.7
    f_low = lambda x: jnp.sin(8 * x) + x
    f_high = lambda x: rho * f_low(x) + 0.5 * (x - 0.5) ** 2
    x_low = jr.uniform(getkey(), (30,))
    x_high = x_low[:12]
    ar1 = uq.fit_ar1(
        x_low, f_low(x_low), x_high, f_high(x_high), key=getkey(), num_restarts=4, steps=300
    )
    assert abs(float(ar1.rho) - rho) < 0.05 * rho


@pytest.mark.parametrize("problem", ["forrester", "nonlinear"])
def test_multifidelity_rmse_targets(x64, problem):
    """The experiment's acceptance at a lighter optimisation (4 restarts, 300 steps)."""
    module = load_experiment("multifidelity_gp")
    sizes = {"forrester": (12, 6), "nonlinear": (50, 14)}[problem]
    config = module.Config(
        problem=module.ProblemConfig(name=problem, num_low=sizes[0], num_high=sizes[1]),
        gp=module.GPConfig(num_restarts=4, steps=300, num_mc_samples=50),
    )
    summary = module.run(config, None)
    assert summary["rmse_ratio_best"] <= 1 / 3, summary
    if problem == "nonlinear":
        assert summary["rmse_nargp"] < summary["rmse_ar1"], summary
