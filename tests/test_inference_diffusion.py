"""The VP-SDE diffusion prior against independent truths: the closed-form marginal against
a simulated forward SDE, both samplers driven by the exact score of a Gaussian N(0, diag(c))
against c, the DSM loss's analytic minimum at the exact noise predictor, the spectrum
statistic on exact GRF draws, and a tiny end-to-end run of the experiment."""

import importlib.util
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.config import TrainConfig
from sciml_jax.data import GaussianRandomField
from sciml_jax.inference import (
    VPSDE,
    TimeConditioned,
    denoising_score_matching,
    dsm_loss,
    sample_probability_flow,
    sample_reverse_sde,
    spectrum_errors,
)
from sciml_jax.nn import UNet
from sciml_jax.train import RunDir

ROOT = Path(__file__).resolve().parents[1]
SDE = VPSDE()
# A Gaussian N(0, diag(C)) on a (1, 2, 3) "field", variances over two decades.
C = jnp.array([0.03, 0.1, 0.3, 1.0, 2.0, 4.0]).reshape(1, 2, 3)


def exact_eps(x, t):
    """E[eps | x_t] for x_0 ~ N(0, diag(C)): sigma x_t / (alpha^2 C + sigma^2)."""
    alpha, sigma = SDE.alpha(t), SDE.sigma(t)
    return sigma * x / (alpha**2 * C + sigma**2)


def test_alpha_sigma_are_a_unit_pair_and_match_the_schedule(x64):
    t = jnp.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(SDE.alpha(t) ** 2 + SDE.sigma(t) ** 2, 1.0, atol=1e-14)
    # d log alpha / dt = -beta / 2 (the drift's rate), by autodiff
    dlog = jax.vmap(jax.grad(lambda s: jnp.log(SDE.alpha(s))))(t)
    np.testing.assert_allclose(dlog, -0.5 * SDE.beta(t), rtol=1e-12)
    assert float(SDE.sigma(1e-6)) == pytest.approx(np.sqrt(1e-7), rel=1e-4)  # no cancellation
    assert float(SDE.alpha(1.0)) == pytest.approx(np.exp(-19.9 / 4 - 0.05), rel=1e-12)


def test_forward_marginal_matches_a_simulated_forward_sde(x64, getkey):
    # x_0 = 1.5 fixed; Euler-Maruyama of dx = -beta x / 2 dt + sqrt(beta) dW to t = 0.4
    n, steps, t1 = 40000, 800, 0.4
    dt = t1 / steps

    def step(x, inputs):
        t, k = inputs
        return x + SDE.drift(x, t) * dt + SDE.diffusion(t) * jnp.sqrt(dt) * jr.normal(
            k, x.shape
        ), None

    ts = jnp.arange(steps) * dt
    x, _ = jax.lax.scan(step, jnp.full((n,), 1.5), (ts, jr.split(getkey(), steps)))
    closed, _ = SDE.marginal(jnp.full((n,), 1.5), t1, key=getkey())
    mean, std = 1.5 * float(SDE.alpha(t1)), float(SDE.sigma(t1))
    for sample in (x, closed):  # both against the closed form, 4 standard errors
        assert abs(float(jnp.mean(sample)) - mean) < 4 * std / np.sqrt(n)
        assert abs(float(jnp.std(sample)) / std - 1) < 4 / np.sqrt(2 * n) + 1e-3


def _check_covariance(samples):
    x = np.asarray(samples).reshape(samples.shape[0], -1)
    n = x.shape[0]
    c = np.asarray(C).ravel()
    var = x.var(0)
    # chi-square sampling error of a variance is sqrt(2/n) relative; 5 of them
    np.testing.assert_allclose(var / c, 1.0, atol=5 * np.sqrt(2 / n))
    corr = np.corrcoef(x.T)[~np.eye(c.size, dtype=bool)]
    assert np.max(np.abs(corr)) < 5 / np.sqrt(n)
    assert np.max(np.abs(x.mean(0)) / np.sqrt(c)) < 5 / np.sqrt(n)


def test_reverse_sde_with_the_exact_score_samples_the_data_covariance(x64, getkey):
    samples = sample_reverse_sde(exact_eps, SDE, C.shape, 8000, key=getkey(), num_steps=400)
    assert samples.shape == (8000, *C.shape)
    _check_covariance(samples)


def test_probability_flow_with_the_exact_score_samples_the_data_covariance(x64, getkey):
    samples = sample_probability_flow(exact_eps, SDE, C.shape, 8000, key=getkey())
    _check_covariance(samples)
    # deterministic: the same noise gives the same fields
    again = sample_probability_flow(exact_eps, SDE, C.shape, 8000, key=jr.key(0))
    same = sample_probability_flow(exact_eps, SDE, C.shape, 8000, key=jr.key(0))
    np.testing.assert_array_equal(again, same)


def test_a_wrong_score_is_caught_by_the_covariance_check(x64, getkey):
    # the exact score of N(0, 2 C): the test above must reject it
    def wrong(x, t):
        alpha, sigma = SDE.alpha(t), SDE.sigma(t)
        return sigma * x / (alpha**2 * 2 * C + sigma**2)

    samples = sample_probability_flow(wrong, SDE, C.shape, 4000, key=getkey())
    with pytest.raises(AssertionError):
        _check_covariance(samples)


def test_dsm_loss_at_the_exact_predictor_is_the_analytic_minimum(x64, getkey):
    t_min = 1e-3
    # E_t mean_i alpha^2 c / (alpha^2 c + sigma^2), t ~ U(t_min, 1), by Gauss-Legendre
    nodes, weights = np.polynomial.legendre.leggauss(200)
    t = t_min + (1 - t_min) * (nodes + 1) / 2
    a2 = np.exp(2 * np.asarray(SDE.log_alpha(jnp.asarray(t))))[:, None]
    c = np.asarray(C).ravel()[None]
    minimum = np.sum(weights / 2 * np.mean(a2 * c / (a2 * c + 1 - a2), axis=1))
    x0 = jnp.sqrt(C) * jr.normal(getkey(), (20000, *C.shape))
    loss = float(denoising_score_matching(exact_eps, x0, sde=SDE, t_min=t_min, key=getkey()))
    # the per-sample loss has variance below 2; 20000 samples give about 1e-2 / sqrt(2)
    assert loss == pytest.approx(minimum, abs=0.02)

    def perturbed(x, t):
        return 1.1 * exact_eps(x, t)

    key = getkey()  # the same t and noise: the difference is the perturbation alone
    fit_loss = dsm_loss(SDE, t_min=t_min)
    assert fit_loss(perturbed, {"x": x0}, key) > fit_loss(exact_eps, {"x": x0}, key) + 1e-3


def test_spectrum_errors_of_exact_grf_draws_are_sampling_noise(getkey):
    grf = GaussianRandomField(2, 16, tau=3.0, gamma=2.0)
    fields = jax.vmap(grf)(jr.split(getkey(), 4000))
    score = spectrum_errors(fields, grf.eigenvalues())
    # band 0 is one real mode (relative error sqrt(2/n) = 2.2 %); others average more
    assert score["max_abs_rel_error"] < 5 * np.sqrt(2 / 4000)
    assert score["variance"] == pytest.approx(score["true_variance"], rel=0.05)
    assert score["true_variance"] == pytest.approx(float(grf.pointwise_variance()[0, 0]))
    # a field smoothed by halving its top modes fails the check
    smooth = np.fft.ifft2(np.fft.fft2(fields) * np.exp(-0.02 * np.arange(16) ** 2)).real
    assert spectrum_errors(smooth, grf.eigenvalues())["max_abs_rel_error"] > 0.5
    with pytest.raises(ValueError, match="eigenvalues"):
        spectrum_errors(fields[:, :8], grf.eigenvalues())


def test_time_conditioned_unet_shapes_and_time_dependence(getkey):
    net = UNet(1 + 8, 1, 4, 1, num_spatial_dims=2, key=getkey())
    model = TimeConditioned(net, 4)
    x = jr.normal(getkey(), (1, 8, 8))
    assert model(x, 0.5).shape == (1, 8, 8)
    assert not np.allclose(model(x, 0.1), model(x, 0.9))
    assert model.embedding(0.3).shape == (8,)


def test_bad_arguments_name_the_fix(getkey):
    with pytest.raises(ValueError, match="beta_min"):
        VPSDE(0.0, 20.0)
    with pytest.raises(ValueError, match="t_min"):
        dsm_loss(SDE, t_min=1.5)
    with pytest.raises(ValueError, match="num_steps"):
        sample_reverse_sde(exact_eps, SDE, C.shape, 4, key=getkey(), num_steps=0)


def _experiment():
    spec = importlib.util.spec_from_file_location(
        "diffusion_grf", ROOT / "experiments" / "diffusion_grf.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_diffusion_grf_tiny(tmp_path):
    m = _experiment()
    config = m.Config(
        experiment="diffusion_grf",
        data=m.DataConfig(num_points=8, num_train=64, batch_size=16),
        model=m.ModelConfig(hidden_channels=4, num_levels=1, num_frequencies=2),
        sample=m.SampleConfig(num_samples=16, sde_steps=10, ode_rtol=1e-2, ode_atol=1e-2),
        train=TrainConfig(steps=20, chunk_size=10, checkpoint_every=10),
    )
    run = RunDir(tmp_path / "run")
    summary = m.run(config, run)
    json.dumps(summary)
    for key in ("sde", "ode", "reference"):
        assert np.isfinite(summary[f"{key}_max_abs_rel_spectrum_error"])
        assert len(summary[f"{key}_rel_spectrum_error_per_band"]) == len(summary["bands"])
    assert summary["true_pointwise_variance"] == pytest.approx(1.0)
    assert list((tmp_path / "run").rglob("power_spectrum*"))
