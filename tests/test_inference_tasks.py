"""The sbibm tasks in JAX against their definitions and against sbibm's own files.

sbibm's observation k was simulated from its `true_parameters`; each test below checks
that our simulator, run at those parameters, makes the observation a typical draw (the
right radius for two moons, log-noise of scale 0.1 for Lotka-Volterra, ...). The ODE
tasks are checked against scipy's `solve_ivp`, a second implementation.
"""

import math

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from scipy import integrate, stats

from sciml_jax.data import load_sbibm_reference
from sciml_jax.inference import (
    SIR,
    SLCP,
    TASKS,
    GaussianLinear,
    GaussianMixture,
    LotkaVolterraTask,
    TwoMoons,
    get_task,
)


def _moons_centre(theta):
    theta = np.asarray(theta, np.float64)
    return np.stack(
        [
            0.25 - np.abs(theta[..., 0] + theta[..., 1]) / math.sqrt(2),
            (theta[..., 1] - theta[..., 0]) / math.sqrt(2),
        ],
        -1,
    )


def test_two_moons_radius_and_angle_distribution():
    theta = jnp.tile(jnp.array([0.3, -0.6]), (20_000, 1))
    x = np.asarray(TwoMoons().simulate_batch(theta, key=jr.key(0)), np.float64)
    d = x - _moons_centre(theta)
    radius, angle = np.hypot(d[:, 0], d[:, 1]), np.arctan2(d[:, 1], d[:, 0])
    assert abs(radius.mean() - 0.1) < 3 * 0.01 / math.sqrt(20_000)
    assert abs(radius.std() - 0.01) < 0.0005
    assert stats.kstest(angle, "uniform", args=(-math.pi / 2, math.pi)).pvalue > 0.01


@pytest.mark.parametrize("k", [1, 2, 3])
def test_two_moons_observation_lies_on_the_moon_of_its_true_parameters(k):
    ref = load_sbibm_reference("two_moons", k)
    d = ref.observation - _moons_centre(ref.true_parameters)
    assert d[0] >= 0 and abs(np.hypot(*d) - 0.1) < 4 * 0.01


def test_gaussian_linear_noise_and_exact_posterior():
    task = GaussianLinear()
    theta = task.prior.sample(jr.key(0), (20_000,))
    assert np.allclose(np.var(np.asarray(theta), 0), 0.1, rtol=0.05)
    x = task.simulate_batch(theta, key=jr.key(1))
    assert np.allclose(np.var(np.asarray(x - theta), 0), 0.1, rtol=0.05)
    # the regression of theta on x is the posterior: E[theta | x] = x / 2, var 0.05
    slope = np.sum(np.asarray(x * theta), 0) / np.sum(np.asarray(x * x), 0)
    assert np.allclose(slope, 0.5, atol=0.03)
    post = task.true_posterior(jnp.ones(10))
    assert np.allclose(post.loc, 0.5) and np.allclose(post.covariance, 0.05 * np.eye(10))


@pytest.mark.parametrize("name", ["gaussian_linear", "gaussian_linear_uniform"])
def test_gaussian_linear_observations_are_typical(name):
    for k in (1, 2, 3):
        ref = load_sbibm_reference(name, k)
        chi2 = np.sum((ref.observation - ref.true_parameters) ** 2) / 0.1
        assert stats.chi2(10).cdf(chi2) < 0.999


def test_gaussian_linear_reference_matches_closed_form():
    ref = load_sbibm_reference("gaussian_linear", 1)
    samples = ref.reference_samples.astype(np.float64)
    mean = np.asarray(GaussianLinear().true_posterior(ref.observation).loc)
    assert np.max(np.abs(samples.mean(0) - mean)) < 4 * math.sqrt(0.05 / 10_000)
    assert np.allclose(np.cov(samples.T), 0.05 * np.eye(10), atol=0.006)


def test_slcp_draws_have_the_parameterised_covariance():
    theta = jnp.array([0.5, -1.0, 1.2, -0.8, 0.7])
    x = np.asarray(SLCP().simulate_batch(jnp.tile(theta, (20_000, 1)), key=jr.key(0)))
    pairs = x.reshape(-1, 2)
    s1, s2, rho = 1.2**2, 0.8**2, math.tanh(0.7)
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    assert np.allclose(pairs.mean(0), [0.5, -1.0], atol=0.03)
    assert np.allclose(np.cov(pairs.T), cov, rtol=0.05, atol=0.01)


def test_slcp_observation_is_typical_of_its_true_parameters():
    ref = load_sbibm_reference("slcp", 1)
    t = ref.true_parameters.astype(np.float64)
    s1, s2, rho = t[2] ** 2, t[3] ** 2, np.tanh(t[4])
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]]) + 1e-6 * np.eye(2)
    d = ref.observation.reshape(4, 2) - t[:2]
    mahalanobis = np.einsum("ni,ij,nj->", d, np.linalg.inv(cov), d)
    assert stats.chi2(8).cdf(mahalanobis) < 0.999


def test_gaussian_mixture_variance():
    theta = jnp.tile(jnp.array([2.0, -3.0]), (40_000, 1))
    x = np.asarray(GaussianMixture().simulate_batch(theta, key=jr.key(0)))
    assert np.allclose(np.var(x, 0), 0.5 * 1.0 + 0.5 * 0.01, rtol=0.03)
    near = np.mean(np.all(np.abs(x - [2.0, -3.0]) < 0.3, axis=1))
    # P(both coords within 0.3): narrow component ~1, wide one erf(0.3/sqrt2)^2
    assert abs(near - (0.5 * 0.9973**2 + 0.5 * math.erf(0.3 / math.sqrt(2)) ** 2)) < 0.01


def _scipy_lotka_volterra(theta):
    a, b, g, d = np.asarray(theta, np.float64)
    sol = integrate.solve_ivp(
        lambda t, u: [a * u[0] - b * u[0] * u[1], -g * u[1] + d * u[0] * u[1]],
        (0, 20),
        [30.0, 1.0],
        t_eval=2.1 * np.arange(10),
        rtol=1e-10,
        atol=1e-10,
    )
    return sol.y


def test_lotka_volterra_trajectory_against_scipy_and_observation():
    task = LotkaVolterraTask()
    ref = load_sbibm_reference("lotka_volterra", 1)
    ours = np.asarray(task.trajectory(jnp.asarray(ref.true_parameters)))
    theirs = _scipy_lotka_volterra(ref.true_parameters)
    assert np.allclose(ours, theirs, rtol=1e-4)
    # sbibm's observation: the states at the true parameters with log-noise of scale 0.1
    log_noise = np.log(ref.observation) - np.log(theirs.reshape(20))
    assert abs(log_noise.mean()) < 4 * 0.1 / math.sqrt(20)
    assert 0.05 < log_noise.std() < 0.16


def test_lotka_volterra_noise_is_lognormal():
    task = LotkaVolterraTask()
    theta = jnp.array([0.7, 0.1, 0.9, 0.1])
    x = np.asarray(task.simulate_batch(jnp.tile(theta, (4000, 1)), key=jr.key(0)))
    log_noise = np.log(x) - np.log(np.asarray(task.trajectory(theta)).reshape(20))
    assert np.allclose(log_noise.std(0), 0.1, rtol=0.08)


def test_sir_infected_against_scipy_and_observation():
    task = SIR()
    ref = load_sbibm_reference("sir", 1)
    b, g = ref.true_parameters.astype(np.float64)
    n = 1e6
    sol = integrate.solve_ivp(
        lambda t, y: [-b * y[0] * y[1] / n, b * y[0] * y[1] / n - g * y[1], g * y[1]],
        (0, 160),
        [n - 1, 1, 0],
        t_eval=17.0 * np.arange(10),
        rtol=1e-10,
        atol=1e-6,
    )
    ours = np.asarray(task.infected(jnp.asarray(ref.true_parameters)))
    assert np.allclose(ours, sol.y[1], rtol=1e-3, atol=1.0)
    p = np.clip(sol.y[1] / n, 0, 1)
    z = (ref.observation - 1000 * p) / np.sqrt(1000 * p * (1 - p) + 1e-3)
    assert np.max(np.abs(z)) < 5


@pytest.mark.parametrize("name", sorted(TASKS))
def test_reference_files_fit_the_task(name):
    task = get_task(name)
    ref = task.reference(1)
    assert ref.observation.shape == (task.dim_x,)
    assert ref.true_parameters.shape == (task.dim_theta,)
    assert ref.reference_samples.shape == (10_000, task.dim_theta)
    assert bool(task.in_support(jnp.asarray(ref.reference_samples)).all())
    x = task.simulate_batch(task.prior.sample(jr.key(0), (64,)), key=jr.key(1))
    assert x.shape == (64, task.dim_x)


def test_known_reference_values():
    ref = load_sbibm_reference("two_moons", 1)
    assert np.allclose(ref.observation, [-0.6396706, 0.16234657])
    assert np.allclose(ref.true_parameters, [-0.8176656, -0.5756806])
    assert np.allclose(ref.reference_samples[0], [-0.8059562, -0.5836492])
    assert load_sbibm_reference("sir", 1).observation[2] == 352.0


def test_bad_requests_name_the_fix():
    with pytest.raises(ValueError, match="choose one of"):
        get_task("three_moons")
    with pytest.raises(ValueError, match="1..10"):
        load_sbibm_reference("two_moons", 11)
    with pytest.raises(ValueError, match=r"expected \(n, 2\)"):
        TwoMoons().simulate_batch(jnp.zeros((3, 5)), key=jr.key(0))
