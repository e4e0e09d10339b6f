"""Scoring rules against closed forms and Monte Carlo; calibration curves of calibrated
and miscalibrated Gaussians; the UQ figures have labelled axes."""

import math

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from jax.scipy.stats import norm

from sciml_jax import uq


def test_crps_closed_form_against_monte_carlo(getkey, x64):
    mean, std = 0.3, 1.7
    y = jnp.array([-3.0, -0.5, 0.3, 1.0, 4.0])
    samples = mean + std * jr.normal(getkey(), (200_000, 1))
    monte_carlo = uq.crps_samples(y, samples)
    closed = uq.crps_gaussian(y, mean, std)
    # the MC error of E|X - y| - E|X - X'|/2 with 2e5 samples is ~ std/sqrt(2e5) ~ 4e-3
    np.testing.assert_allclose(monte_carlo, closed, atol=1.5e-2)
    np.testing.assert_allclose(
        uq.crps_gaussian(0.0, 0.0, 1.0), (math.sqrt(2) - 1) / math.sqrt(math.pi)
    )


def test_crps_samples_equals_the_double_sum(getkey, x64):
    samples = jr.normal(getkey(), (37,))
    y = 0.4
    brute = jnp.mean(jnp.abs(samples - y)) - 0.5 * jnp.mean(
        jnp.abs(samples[:, None] - samples[None, :])
    )
    np.testing.assert_allclose(uq.crps_samples(y, samples), brute, rtol=1e-12)


def test_nll_interval_score_exceedance_and_brier(x64):
    y, mean, std = 1.3, 0.2, 0.7
    np.testing.assert_allclose(uq.gaussian_nll(y, mean, std), -norm.logpdf(y, mean, std))
    # inside: width only; outside: width + 2/alpha x the miss
    assert float(uq.interval_score(0.5, 0.0, 1.0, 0.1)) == 1.0
    np.testing.assert_allclose(uq.interval_score(1.5, 0.0, 1.0, 0.1), 1.0 + 20 * 0.5)
    np.testing.assert_allclose(uq.interval_score(-0.25, 0.0, 1.0, 0.2), 1.0 + 10 * 0.25)
    np.testing.assert_allclose(
        uq.exceedance_probability(mean, std, 1.0), 1 - norm.cdf(1.0, mean, std)
    )
    assert float(uq.exceedance_probability(0.0, 1.0, 0.0)) == 0.5
    np.testing.assert_allclose(
        uq.brier_score(jnp.array([0.8, 0.3]), jnp.array([1, 0])), [0.04, 0.09]
    )


def test_exceedance_is_calibrated_and_beats_climatology(getkey, x64):
    mean = jr.normal(getkey(), (20_000,))
    y = mean + 0.5 * jr.normal(getkey(), mean.shape)
    p = uq.exceedance_probability(mean, 0.5, 1.0)
    outcome = y > 1.0
    forecast, observed, count = uq.reliability_curve(p, outcome, num_bins=10)
    keep = count > 200
    # each well-filled bin: |forecast - frequency| within 4 binomial standard errors
    se = jnp.sqrt(forecast * (1 - forecast) / jnp.maximum(count, 1))
    assert bool(jnp.all(jnp.abs(forecast - observed)[keep] <= 4 * se[keep] + 1e-3))
    climatology = jnp.mean(outcome)
    assert float(jnp.mean(uq.brier_score(p, outcome))) < float(
        jnp.mean(uq.brier_score(jnp.full_like(p, climatology), outcome))
    )


def test_coverage_curves_detect_overconfidence(getkey):
    mean = jnp.zeros(50_000)
    y = jr.normal(getkey(), mean.shape)
    levels, calibrated = uq.gaussian_coverage_curve(y, mean, 1.0)
    # binomial se at n = 5e4 is <= 2.3e-3
    np.testing.assert_allclose(calibrated, levels, atol=0.01)
    _, observed = uq.quantile_calibration_curve(y, mean, 1.0)
    np.testing.assert_allclose(observed, levels, atol=0.01)
    _, overconfident = uq.gaussian_coverage_curve(y, mean, 0.5)
    assert bool(jnp.all(overconfident[1:] < levels[1:]))
    assert float(uq.calibration_error(levels, overconfident)) > 0.1
    _, conformal = uq.interval_coverage_curve(
        y[1000:], lambda p: uq.split_interval(y[:1000], mean[:1000], mean[1000:], alpha=1 - p)
    )
    np.testing.assert_allclose(conformal, levels, atol=0.03)


@pytest.mark.parametrize("name", ["plot_coverage_curve", "plot_reliability_diagram"])
def test_figures_have_labelled_axes(name):
    from sciml_jax import viz

    levels = np.linspace(0.05, 0.95, 19)
    kwargs = {"counts": np.ones(19)} if name == "plot_reliability_diagram" else {}
    figure = getattr(viz, name)(levels, {"model": levels**1.2}, **kwargs)
    axis = figure.axes[0]
    assert axis.get_xlabel() and axis.get_ylabel()
    import matplotlib.pyplot as plt

    plt.close(figure)
