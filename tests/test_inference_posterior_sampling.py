"""Diffusion posterior sampling against the exact posterior of a linear-Gaussian problem.

Prior N(0, I) on a (1, 2, 3) field with its exact noise predictor, observations
y = A x + s * noise with orthogonal rows of A: the posterior is N(mu, Sigma),
Sigma = (I + A^T A / s^2)^-1, mu = Sigma A^T y / s^2, and the guided score with the
denoiser's error variance r_t^2 diag(A A^T) is exact, so the sampler must draw it. Plain
DPS (no error variance) must fail the same check: it is overconfident. A tiny end-to-end
run of the Darcy experiment closes the file."""

import importlib.util
import json
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.config import TrainConfig
from sciml_jax.inference import (
    VPSDE,
    TimeConditioned,
    gaussian_log_likelihood,
    sample_posterior_dps,
    tweedie_error_variance,
)
from sciml_jax.nn import UNet
from sciml_jax.train import RunDir

ROOT = Path(__file__).resolve().parents[1]
SDE = VPSDE()
SHAPE = (1, 2, 3)
NOISE = 0.3


def exact_eps(x, t):
    """E[eps | x_t] for x_0 ~ N(0, I): sigma x_t / (alpha^2 + sigma^2)."""
    alpha, sigma = SDE.alpha(t), SDE.sigma(t)
    return sigma * x / (alpha**2 + sigma**2)


def problem():
    """A (3, 6) with orthogonal rows of norms 2, 1, 0.5; y from a fixed truth."""
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 6)))
    a = np.array([2.0, 1.0, 0.5])[:, None] * q[:3]
    y = a @ np.array([1.0, -0.5, 0.3, 0.8, -1.2, 0.1]) + NOISE * np.array([0.4, -1.1, 0.7])
    covariance = np.linalg.inv(np.eye(6) + a.T @ a / NOISE**2)
    mean = covariance @ a.T @ y / NOISE**2
    return jnp.asarray(a), jnp.asarray(y), mean, covariance


def r2(t):
    return SDE.sigma(t) ** 2 / (SDE.alpha(t) ** 2 + SDE.sigma(t) ** 2)


def draw(error_variance, key, n=4000, time_power=1.0):
    a, y, _, _ = problem()
    loglik = gaussian_log_likelihood(lambda x: a @ x.ravel(), y, NOISE, error_variance)
    x = sample_posterior_dps(
        exact_eps, SDE, loglik, SHAPE, n, key=key, num_steps=200, time_power=time_power
    )
    return np.asarray(x).reshape(n, -1)


def check_posterior(x, mean, covariance):
    n = x.shape[0]
    sd = np.sqrt(np.diag(covariance))
    # 5 standard errors of a mean, of a covariance entry (Wishart: (S_ii S_jj + S_ij^2)/n)
    assert np.max(np.abs(x.mean(0) - mean) / sd) < 5 / np.sqrt(n)
    bound = 5 * np.sqrt((np.outer(sd**2, sd**2) + covariance**2) / n)
    assert np.all(np.abs(np.cov(x.T) - covariance) < bound + 0.02 * np.outer(sd, sd))


def test_guided_reverse_sde_with_the_exact_score_draws_the_exact_posterior(x64, getkey):
    a, _, mean, covariance = problem()
    diag = jnp.sum(a**2, axis=1)
    # the experiment's time grid, with short steps near t_min
    x = draw(lambda t: r2(t) * diag, getkey(), time_power=2.0)
    check_posterior(x, mean, covariance)
    # the posterior is much narrower than the prior in the observed directions
    assert np.min(np.linalg.eigvalsh(covariance)) < 0.03


def test_plain_dps_without_the_denoiser_error_is_overconfident(x64, getkey):
    _, _, mean, covariance = problem()
    x = draw(None, getkey())
    with pytest.raises(AssertionError):
        check_posterior(x, mean, covariance)
    # overconfident: its variance along the best-observed row is below the exact one
    a = np.asarray(problem()[0])
    along = a[0] / np.linalg.norm(a[0])
    assert np.var(x @ along) < 0.8 * along @ covariance @ along


def test_tweedie_error_variance_is_r_squared_diag_a_a_transpose(x64, getkey):
    a, _, _, _ = problem()
    fields = jr.normal(getkey(), (10000, *SHAPE))
    times = jnp.array([0.05, 0.3, 0.7])
    v = tweedie_error_variance(exact_eps, SDE, lambda x: a @ x.ravel(), fields, times, key=getkey())
    exact = r2(times)[:, None] * jnp.sum(a**2, axis=1)[None]
    # a mean of 10000 chi-square(1) terms: relative error sqrt(2 / 10000) = 1.4 %, 5 of them
    np.testing.assert_allclose(v, exact, rtol=0.07)


def test_bad_input_names_the_fix(getkey):
    with pytest.raises(ValueError, match="noise_std"):
        gaussian_log_likelihood(lambda x: x, jnp.zeros(3), 0.0)
    loglik = gaussian_log_likelihood(lambda x: x.ravel(), jnp.zeros(6), 0.1)
    with pytest.raises(ValueError, match="num_steps"):
        sample_posterior_dps(exact_eps, SDE, loglik, SHAPE, 4, key=getkey(), num_steps=0)
    with pytest.raises(ValueError, match="time_power"):
        sample_posterior_dps(exact_eps, SDE, loglik, SHAPE, 4, key=getkey(), time_power=0.5)


def _experiment():
    spec = importlib.util.spec_from_file_location(
        "diffusion_darcy_inverse", ROOT / "experiments" / "diffusion_darcy_inverse.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diffusion_darcy_inverse_tiny(tmp_path):
    m = _experiment()
    config = m.Config(
        experiment="diffusion_darcy_inverse",
        data=m.DataConfig(num_points=8, num_train=32, batch_size=8),
        model=m.ModelConfig(hidden_channels=4, num_levels=1, num_frequencies=2),
        problem=m.ProblemConfig(num_sensors=6, num_sources=1),
        sample=m.SampleConfig(num_samples=8, num_steps=10, calibration_fields=8),
        gradient=m.GradientConfig(steps=10, lbfgs_steps=0),
        train=TrainConfig(steps=10, chunk_size=10, checkpoint_every=10),
    )
    summary = m.run(config, RunDir(tmp_path / "run"))
    json.dumps(summary)
    for key in ("posterior_mean_rel_l2", "coverage_90", "gradient_rel_l2"):
        assert np.isfinite(summary[key]), key
    assert 0.0 <= summary["coverage_90"] <= 1.0
    assert list((tmp_path / "run").rglob("posterior*.png"))
    assert (tmp_path / "run" / "posterior.npz").exists() or list(
        (tmp_path / "run").rglob("posterior.npz")
    )


def test_time_conditioned_skip_is_the_exact_white_noise_predictor(getkey):
    # a net whose output is zero: the skip alone must be E[eps | x_t] for N(0, I) data
    net = UNet(1 + 4, 1, 4, 1, num_spatial_dims=2, key=getkey())
    net = jax.tree.map(lambda w: 0 * w if eqx.is_inexact_array(w) else w, net)
    model = TimeConditioned(net, 2, SDE)
    x = jr.normal(getkey(), (1, 4, 4))
    for t in (0.05, 0.5, 0.95):
        np.testing.assert_allclose(model(x, t), exact_eps(x, t), rtol=1e-5, atol=1e-6)
    assert np.allclose(TimeConditioned(net, 2)(x, 0.5), 0.0)
