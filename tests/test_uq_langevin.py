"""Langevin sampling against exact truths: SGLD/pSGLD on Bayesian linear regression vs
the closed-form posterior (Monte-Carlo error from independent chains), Kramers escape
over a 4 kT barrier, occupancy of two equal-depth wells vs the partition functions."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from helpers import tree_equal_bits

from sciml_jax import uq
from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.train import RunDir, fit

NOISE, PRIOR = 0.5, 1.0  # noise std and prior precision


class Linear(eqx.Module):
    w: jax.Array

    def __call__(self, x):
        return x @ self.w


def problem(seed=0, n=40):
    kx, kw, ke = jr.split(jr.key(seed), 3)
    x = jnp.stack([jnp.ones(n), jr.uniform(kx, (n,), minval=-1, maxval=1)], axis=1)
    y = x @ jnp.array([0.5, -1.0]) + NOISE * jr.normal(ke, (n,))
    precision = x.T @ x / NOISE**2 + PRIOR * jnp.eye(2)
    covariance = jnp.linalg.inv(precision)
    mean = covariance @ x.T @ y / NOISE**2
    return {"x": x, "y": y}, mean, covariance, precision


def potential(model, batch, key):
    """U(w) = -log p(y | w) - log p(w) (up to a constant): a sum over the data."""
    residual = batch["y"] - model(batch["x"])
    return 0.5 * jnp.sum(residual**2) / NOISE**2 + 0.5 * PRIOR * jnp.sum(model.w**2)


@pytest.mark.parametrize("name", ["sgld", "psgld"])
def test_posterior_mean_and_covariance_within_monte_carlo_error(name, x64):
    data, mean, covariance, precision = problem()
    chains = 64
    step = 0.02 / float(jnp.linalg.eigvalsh(precision).max())  # O(step) bias: 1 %
    optimizer = uq.sgld(step, seed=1) if name == "sgld" else uq.psgld(step * 3, decay=0.999, seed=1)
    start = uq.Ensemble(Linear(jnp.zeros((chains, 2))))
    samples, _ = uq.sample_posterior(
        start,
        uq.ensemble_loss(potential),
        optimizer,
        key=jr.key(2),
        num_samples=400,
        burn_in=2000,
        thin=10,
        data=data,
    )
    w = np.asarray(samples.members.members.w)  # samples of an ensemble: (samples, chains, 2)
    # Monte-Carlo error from the spread of independent chains (honest under
    # autocorrelation); the effective sample size is var / se^2.
    chain_means = w.mean(axis=0)
    se_mean = chain_means.std(axis=0, ddof=1) / np.sqrt(chains)
    ess = np.diag(covariance) / se_mean**2
    assert np.all(ess > 100), ess
    assert np.all(np.abs(chain_means.mean(axis=0) - mean) < 4 * se_mean)
    centred = w - chain_means
    chain_covs = np.einsum("sci,scj->cij", centred, centred) / (w.shape[0] - 1)
    se_cov = chain_covs.std(axis=0, ddof=1) / np.sqrt(chains)
    bias = 0.02 * np.abs(covariance) if name == "sgld" else 0.05 * np.abs(covariance)
    assert np.all(np.abs(chain_covs.mean(axis=0) - covariance) < 4 * se_cov + bias)


def test_fit_trains_with_sgld_by_name_and_resumes_bit_identically(tmp_path, getkey):
    data, *_ = problem()
    config = TrainConfig(
        steps=200,
        chunk_size=50,
        checkpoint_every=50,
        progress=False,
        divergence_factor=None,
        optimizer=OptimizerConfig(name="sgld", learning_rate=1e-3, noise_seed=3),
    )
    model, key = Linear(jnp.zeros(2)), getkey()
    whole = fit(model, potential, config, key=key, data=data)
    run = RunDir(tmp_path)
    fit(model, potential, dataclasses.replace(config, steps=100), key=key, data=data, run=run)
    resumed = fit(model, potential, config, key=key, data=data, run=run)
    assert tree_equal_bits(whole.model, resumed.model)
    other = dataclasses.replace(config.optimizer, noise_seed=4)
    moved = fit(model, potential, dataclasses.replace(config, optimizer=other), key=key, data=data)
    assert not tree_equal_bits(whole.model, moved.model)  # the noise is real and seeded


def test_overdamped_escape_rate_matches_kramers_at_4kT():
    barrier, kT, friction, kappa_well, kappa_barrier = 4.0, 1.0, 1.0, 24.0, 12.0
    potential_fn, x_left, x_right = uq.double_well(barrier, kappa_well, kappa_well, kappa_barrier)
    dt, horizon, walkers = 2e-3, 80.0, 1000
    init, step = uq.overdamped_langevin(potential_fn, dt, kT, friction)
    state = jax.vmap(init)(jr.split(jr.key(0), walkers), jnp.full((walkers,), x_left))
    times = uq.first_passage_times(step, state, lambda x: x >= x_right, dt, int(horizon / dt))
    rate, se = uq.escape_rate(times, horizon)
    exact = 1 / uq.mean_first_passage_time(potential_fn, x_left, x_right, kT, friction, x_left - 3)
    kramers = uq.kramers_rate(barrier, kT, friction, kappa_well, kappa_barrier)
    assert abs(rate - exact) < 4 * se + 0.02 * exact  # the sampler vs the exact MFPT
    assert abs(rate / kramers - 1) < 0.10  # Kramers' asymptotic formula
    assert abs(exact / kramers - 1) < 0.05


def test_equal_depth_wells_occupancy_is_the_partition_function_ratio():
    potential_fn, x_left, x_right = uq.double_well(2.5, 24.0, 6.0, 12.0)
    init, step = uq.overdamped_langevin(potential_fn, 2e-3, 1.0)
    walkers = 1024
    start = jnp.where(jnp.arange(walkers) % 2 == 0, x_left, x_right)
    state = jax.vmap(init)(jr.split(jr.key(1), walkers), start)
    right = uq.time_average(step, state, lambda x: (x > 0).astype(x.dtype), 25_000, 2500)
    p, se = float(right.mean()), float(right.std() / np.sqrt(walkers))
    ratio, se_ratio = p / (1 - p), se / (1 - p) ** 2
    exact = uq.boltzmann_ratio(potential_fn, 0.0, 1.0, x_left - 3, x_right + 4)
    assert abs(ratio - exact) < 4 * se_ratio + 0.01 * exact
    # the wide well (curvature 6) holds sqrt(24 / 6) = 2 times more, harmonically
    assert abs(ratio / np.sqrt(24.0 / 6.0) - 1) < 0.10
