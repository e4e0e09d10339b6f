"""NLE, NRE, their sequential forms and the NUTS sampler against exact posteriors.

Gaussian linear (10D) has the closed-form posterior N(x/2, 0.05 I) (std 0.224). At 2000
simulations, small networks and 1000 NUTS draws (10 chains), the posterior mean must be
within 0.15 and the marginal stds within 35 % (NPE at 3000 simulations: 0.1 and 30 %,
tests/test_inference_npe.py). The learned log likelihood and log ratio are checked
against the exact log likelihood log N(x; theta, 0.1 I) up to their constants. The
sampler alone is checked on a posterior known exactly with a box prior: the Gaussian
likelihood of gaussian_linear_uniform times U([-1, 1]^10) is a product of truncated
normals, whose means and stds scipy gives; this checks the sigmoid reparametrisation's
log-Jacobian and the resampled starts. All MCMC calls share one chain count and draw
count, so jit compiles each posterior type's sampler once. SNRE's second round simulates
from the first round's NUTS posterior: its proposals' spread is the posterior's, not the
prior's. The sbi_task experiment is run here too (NLE, tiny budget): it writes
posterior_samples.npz with the keys `samples` and `num_observation`, and its NUTS draws
are those of observation 3's exact posterior (the NLE posterior test).
"""

import importlib.util
from pathlib import Path

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from scipy import stats

from sciml_jax.inference import (
    AbstractMCMCPosterior,
    AbstractTask,
    FitConfig,
    GaussianLinear,
    GaussianLinearUniform,
    MCMCConfig,
    fit_nle,
    fit_snre,
    simulate_for_sbi,
)
from sciml_jax.train import RunDir

FAST = FitConfig(learning_rate=1e-3, batch_size=100, max_epochs=100, patience=8)
CHAINS = MCMCConfig(num_chains=10, num_warmup=150, num_init_candidates=1000)
DRAWS = 1000
SMALL_FLOW = dict(flow_layers=1, nn_width=16)  # one affine MAF layer: exact here
POSTERIOR_STD = np.sqrt(0.05)


def _exact_log_likelihood(x, theta):
    return -jnp.sum((x - theta) ** 2, axis=-1) / (2 * 0.1)


class ExactLikelihoodPosterior(AbstractMCMCPosterior):
    task: AbstractTask
    mcmc: MCMCConfig

    def log_potential(self, theta, x):
        return _exact_log_likelihood(x, theta)


def test_nuts_draws_the_exact_truncated_gaussian_posterior():
    task = GaussianLinearUniform()
    x_o = jnp.asarray(task.reference(1).observation)
    posterior = ExactLikelihoodPosterior(task=task, mcmc=CHAINS)
    samples, info = posterior.sample_with_info(jr.key(0), x_o, DRAWS)
    samples = np.asarray(samples)
    scale = np.sqrt(0.1)
    a, b = (-1 - np.asarray(x_o)) / scale, (1 - np.asarray(x_o)) / scale
    exact = stats.truncnorm(a, b, loc=np.asarray(x_o), scale=scale)
    assert samples.shape == (DRAWS, 10) and np.all(np.abs(samples) < 1)
    assert info["divergences"] == 0 and info["acceptance_rate"] > 0.6
    # 1000 NUTS draws: the standard error of a mean is about 0.01-0.02 here
    assert np.max(np.abs(samples.mean(0) - exact.mean())) < 0.06
    np.testing.assert_allclose(samples.std(0), exact.std(), rtol=0.2)


@pytest.fixture(scope="module")
def pairs():
    task = GaussianLinear()
    theta, x = simulate_for_sbi(task, 2000, key=jr.key(0))
    return task, theta, x


def _check_gaussian_linear_posterior(task, posterior, tolerance=0.15):
    x_o = jnp.asarray(task.reference(1).observation)
    samples = np.asarray(posterior.sample(jr.key(5), x_o, DRAWS))
    exact_mean = np.asarray(task.true_posterior(x_o).loc)
    assert np.max(np.abs(samples.mean(0) - exact_mean)) < tolerance
    np.testing.assert_allclose(samples.std(0), POSTERIOR_STD, rtol=0.35)


def test_nle_likelihood_matches_the_exact_gaussian(pairs):
    task, theta, x = pairs
    posterior, _ = fit_nle(
        task,
        theta,
        x,
        key=jr.key(1),
        flow_kind="maf",
        flow_options=SMALL_FLOW,
        fit=FAST,
        mcmc=CHAINS,
    )
    # KL(p(x|theta) || q(x|theta)) at the true parameters of observation 1, by Monte Carlo
    theta_o = jnp.asarray(task.reference(1).true_parameters)
    x_draws = task.simulate_batch(jnp.tile(theta_o, (2000, 1)), key=jr.key(2))
    exact = _exact_log_likelihood(x_draws, theta_o) - 5 * jnp.log(2 * jnp.pi * 0.1)
    learned = posterior.log_likelihood(x_draws, theta_o)
    assert float(jnp.mean(exact - learned)) < 0.3
    # its NUTS posterior is checked through the sbi_task run below (one sampler compile)


def test_snre_rounds_and_its_log_ratio_and_posterior_match_the_exact_gaussian(pairs):
    task = pairs[0]
    x_o = jnp.asarray(task.reference(1).observation)
    posterior, info = fit_snre(
        task,
        x_o,
        2 * DRAWS,
        key=jr.key(6),
        num_rounds=2,
        width=32,
        depth=2,
        fit=FAST,
        mcmc=CHAINS,
        progress=False,
    )
    assert info["simulations"] == [DRAWS, DRAWS]
    # round 1 draws from the prior (std 0.316), round 2 from round 1's posterior (0.224)
    prior_std, proposal_std = info["proposal_std"]
    assert prior_std == pytest.approx(np.sqrt(0.1), rel=0.1)
    assert proposal_std == pytest.approx(POSTERIOR_STD, rel=0.25)
    # the log ratio equals the exact log likelihood up to a constant in theta, whatever the
    # proposal: compare centred values over the posterior's bulk
    draws = task.true_posterior(x_o).sample(jr.key(4), (2000,))
    learned = np.asarray(jax.vmap(posterior.log_ratio, in_axes=(0, None))(draws, x_o))
    exact = np.asarray(_exact_log_likelihood(x_o, draws))
    gap = (learned - learned.mean()) - (exact - exact.mean())
    assert np.std(gap) < 0.5 * np.std(exact)
    _check_gaussian_linear_posterior(task, posterior, tolerance=0.2)


ROOT = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("sbi_task", ROOT / "experiments" / "sbi_task.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sbi_task_writes_the_posterior_samples_of_the_chosen_observation(tmp_path):
    m = _module()
    config = m.Config(
        experiment="sbi_task",
        problem=m.ProblemConfig(
            task="gaussian_linear", method="nle", num_simulations=2000, num_observation=3
        ),
        flow=m.FlowConfig(
            kind="maf", flow_layers=1, nn_width=16, learning_rate=1e-3, max_epochs=100, patience=8
        ),
        mcmc=m.MCMCSettings(num_chains=10, num_warmup=150, num_init_candidates=1000),
        metric=m.MetricConfig(num_posterior_samples=1000, c2st=False, pair_plot=False),
    )
    summary = m.run(config, RunDir(tmp_path / "run"))
    assert summary["num_observation"] == 3 and "sbibm_c2st_obs1" not in summary
    with np.load(next((tmp_path / "run").rglob("posterior_samples.npz"))) as f:
        assert sorted(f.files) == ["num_observation", "samples"]
        samples, k = f["samples"], int(f["num_observation"])
    assert k == 3 and samples.shape == (1000, 10)
    task = GaussianLinear()
    exact_mean = np.asarray(task.true_posterior(task.reference(3).observation).loc)
    assert np.max(np.abs(samples.mean(0) - exact_mean)) < 0.15
    assert np.allclose(samples.std(0), np.sqrt(0.05), rtol=0.35)
