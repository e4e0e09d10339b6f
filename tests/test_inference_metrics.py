"""C2ST and SBC against cases whose answers are known: identical and disjoint samples,
and an exact posterior sampler (Gaussian linear), whose SBC ranks must be uniform."""

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.data import load_sbibm_reference
from sciml_jax.inference import GaussianLinear, c2st, sbc_ranks, sbc_uniformity


def test_c2st_of_one_distribution_is_one_half():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2))
    assert abs(c2st(a, b) - 0.5) < 0.05


def test_c2st_of_disjoint_samples_is_one():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 3))
    assert c2st(a, a + 10.0) > 0.99


def test_c2st_sees_a_small_shift_and_orders_it():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2))
    near, far = c2st(a, b + 0.5), c2st(a, b + 1.5)
    # the Bayes-optimal accuracy between N(0, I) and N(s(1, 1), I) is Phi(s * sqrt(2) / 2):
    # 0.638 for s = 0.5, 0.856 for s = 1.5; an MLP on 1000 + 1000 points comes close
    assert abs(near - 0.638) < 0.04 and abs(far - 0.856) < 0.04


def test_exact_gaussian_linear_posterior_scores_one_half_against_sbibm_reference():
    # two of the ten coordinates: C2ST's MLP on 10D same-distribution data overfits for
    # hundreds of epochs (minutes); the marginal pair still tests the closed form
    ref = load_sbibm_reference("gaussian_linear", 1)
    exact = GaussianLinear().true_posterior(ref.observation).sample(jr.key(0), (2000,))
    score = c2st(ref.reference_samples[:2000, :2], np.asarray(exact)[:, :2])
    assert abs(score - 0.5) < 0.04
    wrong = np.asarray(exact)[:, :2] + np.array([0.3, 0.0])  # a 1.3-sigma shift
    assert c2st(ref.reference_samples[:2000, :2], wrong) > 0.65


def test_c2st_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same dim"):
        c2st(np.zeros((10, 2)), np.zeros((10, 3)))


def _sbc(num_sbc, num_draws, scale=1.0, shift=0.0, seed=0):
    """SBC of the Gaussian linear task's exact posterior, optionally widened/shifted."""
    task = GaussianLinear()
    prior_key, sim_key, post_key = jr.split(jr.key(seed), 3)
    theta = task.prior.sample(prior_key, (num_sbc,))
    x = task.simulate_batch(theta, key=sim_key)
    z = jr.normal(post_key, (num_sbc, num_draws, 10))
    draws = x[:, None, :] / 2 + shift + scale * jnp.sqrt(0.05) * z
    return sbc_ranks(theta, draws)


def test_sbc_ranks_of_an_exact_posterior_are_uniform():
    ranks = _sbc(2000, 99)
    assert ranks.min() >= 0 and ranks.max() <= 99
    tests = sbc_uniformity(ranks, 99)
    # ten parameters: a Bonferroni-style floor at 1e-3 each
    assert tests["chi2_pvalue"].min() > 1e-3 and tests["ks_pvalue"].min() > 1e-3


@pytest.mark.parametrize("scale, shift", [(0.6, 0.0), (1.0, 0.1)])
def test_sbc_flags_overconfident_or_biased_posteriors(scale, shift):
    tests = sbc_uniformity(_sbc(2000, 99, scale=scale, shift=shift), 99)
    assert tests["chi2_pvalue"].max() < 1e-3 and tests["ks_pvalue"].max() < 1e-3


def test_sbc_ranks_count_draws_below_the_truth():
    theta = np.array([[0.0, 1.0]])
    draws = np.array([[[-1.0, 2.0], [0.5, 0.0], [-0.1, 0.5]]])
    assert sbc_ranks(theta, draws).tolist() == [[2, 2]]
