"""sbibm's Bernoulli GLM in JAX against its definition and sbibm's own files.

The summary statistics are the GLM's sufficient statistics x = X^T y: sbibm's stored
observation.csv must equal X^T applied to its stored raw spike train (observation_raw.csv)
for all ten observations, which checks the seeded stimulus, the lags of the design matrix
and the statistics at once. Given theta, the simulator's mean and covariance are X^T p and
X^T diag(p(1-p)) X with p = sigmoid(X theta). The prior's precision is checked at entries
worked out by hand from F = D^2 + diag(sqrt(j/9)), and its draws' covariance against B^-1.
"""

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.data import load_sbibm_csv
from sciml_jax.inference import (
    BernoulliGLM,
    bernoulli_glm_design_matrix,
    bernoulli_glm_prior_precision,
    get_task,
)


@pytest.mark.parametrize("k", range(1, 11))
def test_observed_statistics_are_the_design_matrix_times_sbibms_spike_train(k):
    task = get_task("bernoulli_glm")
    spikes = load_sbibm_csv("bernoulli_glm", k, "observation_raw.csv")[0]
    assert spikes.shape == (100,) and set(np.unique(spikes)) <= {0.0, 1.0}
    statistics = bernoulli_glm_design_matrix().T @ spikes
    np.testing.assert_allclose(statistics, task.reference(k).observation, atol=2e-5)


def test_simulator_moments_match_the_closed_form():
    task = BernoulliGLM()
    theta = jnp.asarray(task.reference(1).true_parameters)
    n = 20_000
    x = np.asarray(task.simulate_batch(jnp.tile(theta, (n, 1)), key=jr.key(0)), np.float64)
    design = bernoulli_glm_design_matrix().astype(np.float64)
    p = 1 / (1 + np.exp(-design @ np.asarray(theta, np.float64)))
    mean = design.T @ p
    cov = design.T @ np.diag(p * (1 - p)) @ design
    std = np.sqrt(np.diag(cov))
    # 5 standard errors of the mean of n draws
    assert np.all(np.abs(x.mean(0) - mean) < 5 * std / np.sqrt(n))
    np.testing.assert_allclose(np.cov(x.T), cov, rtol=0.05, atol=0.05 * std.max() ** 2)
    # spike counts are integers in 0..100
    assert np.all(x[:, 0] == np.round(x[:, 0])) and 0 <= x[:, 0].min() <= x[:, 0].max() <= 100


def test_prior_precision_by_hand_and_prior_draws_covariance():
    b = bernoulli_glm_prior_precision()
    # F's first column is (1, -2, 1, 0, ...): (F^T F)_00 = 1 + 4 + 1; its last is 1 + sqrt(8/9)
    assert b[0, 0] == 0.5 and b[0, 1:].tolist() == [0.0] * 9
    assert b[1, 1] == pytest.approx(6.0)
    assert b[9, 9] == pytest.approx((1 + np.sqrt(8 / 9)) ** 2)
    # (F^T F)_01 = F_10 F_11 + F_20 F_21 = -2 (1 + 1/3) + 1 * (-2)
    assert b[1, 2] == pytest.approx(-2 * (1 + 1 / 3) - 2)
    draws = np.asarray(BernoulliGLM().prior.sample(jr.key(1), (40_000,)), np.float64)
    covariance = np.linalg.inv(b)
    scale = np.sqrt(np.outer(np.diag(covariance), np.diag(covariance)))
    assert np.max(np.abs(np.cov(draws.T) - covariance) / scale) < 0.03
    assert np.max(np.abs(draws.mean(0)) / np.sqrt(np.diag(covariance))) < 0.02
