"""SGLD and pSGLD on Bayesian linear regression against the closed-form posterior.

Data `y = phi(x)^T w + eps`, `eps ~ N(0, sigma^2)`, polynomial features
`phi(x) = (1, x, ..., x^{d-1})`, prior `w ~ N(0, alpha^{-1} I)`. The posterior is Gaussian:

$$ A = \\Phi^T\\Phi / \\sigma^2 + \\alpha I, \\qquad \\Sigma = A^{-1}, \\qquad
   \\mu = \\Sigma\\, \\Phi^T y / \\sigma^2 $$

Independent chains (one `uq.Ensemble` of linear models, sampled by `uq.sample_posterior`
with the engine's own training step) run on the potential
`U(w) = |y - Phi w|^2 / (2 sigma^2) + alpha |w|^2 / 2`, on the whole data set or on
minibatches scaled by `n / b`. The Monte-Carlo standard error of each posterior moment
comes from the spread of the per-chain estimates (honest under autocorrelation), and the
errors against `mu` and `Sigma` are reported in those units. With a full-batch gradient,
SGLD is Euler-Maruyama, whose stationary covariance is
`(A (I - epsilon A / 2))^{-1}`: a bias of relative size `epsilon lambda / 2`, reported
beside the errors. The posterior predictive on held-out data gives the calibration figures.
"""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jax.scipy.special import ndtri

from sciml_jax import uq
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.viz import plot_coverage_curve, plot_reliability_diagram

DESCRIPTION = "SGLD/pSGLD on Bayesian linear regression vs the closed-form posterior"


@dataclass(frozen=True)
class ProblemConfig:
    num_train: int = spec(40, ge=2)
    num_test: int = spec(2000, ge=10, doc="held-out points for the predictive's calibration")
    degree: int = spec(2, ge=0, doc="polynomial features 1, x, ..., x^degree")
    noise_std: float = spec(0.5, gt=0.0, doc="sigma (known)")
    prior_precision: float = spec(1.0, gt=0.0, doc="alpha")
    seed: int = spec(0, ge=0, doc="the data")


@dataclass(frozen=True)
class SamplerConfig:
    chains: int = spec(64, ge=2, doc="independent chains: the Monte-Carlo error comes from them")
    num_samples: int = spec(400, ge=2, doc="kept per chain")
    burn_in: int = spec(2000, ge=0)
    thin: int = spec(10, ge=1)
    sgld_step: float = spec(0.05, gt=0.0, lt=2.0, doc="epsilon * lambda_max(A) for SGLD")
    psgld_step: float = spec(
        0.05, gt=0.0, doc="epsilon * lambda_max(D A D), D = diag(A)^(-1/4), for pSGLD"
    )
    psgld_decay: float = spec(
        0.9999, ge=0.0, lt=1.0, doc="RMS decay; near 1 keeps the dropped Gamma term small"
    )
    batch_size: int | None = spec(None, ge=1, doc="minibatch size; null: the full data")


Config = wf.experiment_config(problem=ProblemConfig, sampler=SamplerConfig)


class Linear(eqx.Module):
    """`phi^T w` for a feature vector `phi` (or a matrix of rows)."""

    w: jax.Array

    def __call__(self, phi):
        return phi @ self.w


def features(x, degree: int):
    return jnp.stack([x**k for k in range(degree + 1)], axis=-1)


def _data(p: ProblemConfig):
    kx, kw, ke, kt = jr.split(jr.key(p.seed), 4)
    dtype = jnp.asarray(0.0).dtype
    d = p.degree + 1
    w_true = jr.normal(kw, (d,), dtype) / np.sqrt(p.prior_precision)

    def draw(key, n):
        k1, k2 = jr.split(key)
        x = jr.uniform(k1, (n,), dtype, minval=-1.0, maxval=1.0)
        phi = features(x, p.degree)
        return x, phi, phi @ w_true + p.noise_std * jr.normal(k2, (n,), dtype)

    return draw(jr.fold_in(kx, 0), p.num_train), draw(kt, p.num_test)


def _posterior(phi, y, p: ProblemConfig):
    precision = phi.T @ phi / p.noise_std**2 + p.prior_precision * jnp.eye(phi.shape[1])
    covariance = jnp.linalg.inv(precision)
    return covariance @ phi.T @ y / p.noise_std**2, covariance, precision


def _potential(p: ProblemConfig, batch_size: int | None):
    def potential(model, batch, key):
        phi, y = batch["phi"], batch["y"]
        scale = 1.0
        if batch_size is not None:
            index = jr.choice(key, y.shape[0], (batch_size,), replace=False)
            phi, y, scale = phi[index], y[index], y.shape[0] / batch_size
        residual = y - model(phi)
        likelihood = 0.5 * scale * jnp.sum(residual**2) / p.noise_std**2
        return likelihood + 0.5 * p.prior_precision * jnp.sum(model.w**2)

    return potential


def _moments_vs_exact(w, mean, covariance) -> dict:
    """Errors of the posterior mean and covariance in Monte-Carlo standard errors (the
    largest `|estimate - exact| / se` over the entries), the relative Frobenius error of
    the covariance and the smallest effective sample size.

    `w` is `(samples, chains, d)`: the per-chain estimates are independent, so their
    spread over `sqrt(chains)` is the standard error of the pooled estimate.
    """
    samples, chains, _ = w.shape
    chain_means = w.mean(axis=0)
    se_mean = chain_means.std(axis=0, ddof=1) / np.sqrt(chains)
    pooled_mean = chain_means.mean(axis=0)
    # Centred on the pooled mean, not on each chain's own: a chain holds few effective
    # samples, and its own mean would shrink its covariance by about 1 / (its ESS).
    centred = w - pooled_mean
    chain_covs = np.einsum("sci,scj->cij", centred, centred) / samples
    se_cov = chain_covs.std(axis=0, ddof=1) / np.sqrt(chains)
    pooled_cov = chain_covs.mean(axis=0)
    return {
        "mean_max_error_in_se": float(np.max(np.abs(pooled_mean - mean) / se_mean)),
        "covariance_max_error_in_se": float(np.max(np.abs(pooled_cov - covariance) / se_cov)),
        "covariance_rel_error": float(
            np.linalg.norm(pooled_cov - covariance) / np.linalg.norm(covariance)
        ),
        "min_effective_samples": float(np.min(np.diag(covariance) / se_mean**2)),
        "pooled_mean": pooled_mean,
        "pooled_covariance": pooled_cov,
    }


def run(config: Config, run) -> dict:
    p, s = config.problem, config.sampler
    if s.batch_size is not None and s.batch_size > p.num_train:
        raise ValueError(
            f"sampler.batch_size = {s.batch_size} exceeds problem.num_train = {p.num_train}; "
            "set sampler.batch_size <= num_train, or null for the full data"
        )
    (_, phi, y), (_, phi_test, y_test) = _data(p)
    mean, covariance, precision = _posterior(phi, y, p)
    mean, covariance = np.asarray(mean), np.asarray(covariance)
    lambda_max = float(jnp.linalg.eigvalsh(precision).max())
    # pSGLD's RMS preconditioner settles at G = 1 / sqrt(E g^2) = diag(A)^(-1/2) (at
    # equilibrium E[g g^T] = A Sigma A = A), so its step is set by G^(1/2) A G^(1/2).
    scale = jnp.diag(precision) ** -0.25
    lambda_max_preconditioned = float(
        jnp.linalg.eigvalsh(scale[:, None] * precision * scale[None, :]).max()
    )
    data = {"phi": phi, "y": y}
    loss = uq.ensemble_loss(_potential(p, s.batch_size))
    optimizers = {
        "sgld": uq.sgld(s.sgld_step / lambda_max, seed=config.seed),
        "psgld": uq.psgld(
            s.psgld_step / lambda_max_preconditioned, decay=s.psgld_decay, seed=config.seed
        ),
    }
    start = uq.Ensemble(Linear(jnp.zeros((s.chains, phi.shape[1]), phi.dtype)))
    # Euler-Maruyama's stationary covariance for a Gaussian target (full-batch SGLD)
    epsilon = s.sgld_step / lambda_max
    biased = np.linalg.inv(np.asarray(precision) @ (np.eye(len(mean)) - 0.5 * epsilon * precision))
    summary = {
        "dimension": int(phi.shape[1]),
        "num_train": p.num_train,
        "chains": s.chains,
        "samples_per_chain": s.num_samples,
        "batch_size": s.batch_size,
        "lambda_max": lambda_max,
        "sgld_predicted_covariance_bias": float(
            np.linalg.norm(biased - covariance) / np.linalg.norm(covariance)
        ),
    }
    exact_var = jnp.einsum("ni,ij,nj->n", phi_test, covariance, phi_test) + p.noise_std**2
    predictives = {"closed form": (phi_test @ mean, jnp.sqrt(exact_var))}
    pooled = {}
    for name, optimizer in optimizers.items():
        samples, _ = uq.sample_posterior(
            start,
            loss,
            optimizer,
            key=jr.fold_in(jr.key(config.seed), len(pooled)),
            num_samples=s.num_samples,
            burn_in=s.burn_in,
            thin=s.thin,
            data=data,
        )
        w = np.asarray(samples.members.members.w)  # (samples, chains, d)
        scores = _moments_vs_exact(w, mean, covariance)
        pooled[name] = (scores.pop("pooled_mean"), scores.pop("pooled_covariance"))
        summary |= {f"{name}_{key}": value for key, value in scores.items()}
        m, c = pooled[name]
        var = jnp.einsum("ni,ij,nj->n", phi_test, c, phi_test) + p.noise_std**2
        predictives[name.upper()] = (phi_test @ m, jnp.sqrt(var))
    coverage, reliability = {}, {}
    for label, (m, sd) in predictives.items():
        levels, coverage[label] = uq.gaussian_coverage_curve(y_test, m, sd)
        _, reliability[label] = uq.quantile_calibration_curve(y_test, m, sd)
    summary["coverage_error_sgld"] = float(uq.calibration_error(levels, coverage["SGLD"]))
    summary["coverage_error_closed_form"] = float(
        uq.calibration_error(levels, coverage["closed form"])
    )
    z90 = float(ndtri(0.95))
    for label, key in (("closed form", "closed_form"), ("SGLD", "sgld")):
        m, sd = predictives[label]
        summary[f"test_coverage_90_{key}"] = float(
            uq.interval_coverage(y_test, m - z90 * sd, m + z90 * sd)
        )
    if run is not None:
        run.save_npz(
            "prediction",
            posterior_mean=mean,
            posterior_covariance=covariance,
            **{f"{n}_mean": m for n, (m, _) in pooled.items()},
            **{f"{n}_covariance": c for n, (_, c) in pooled.items()},
        )
        run.save_figure(
            plot_coverage_curve(levels, coverage, title="posterior predictive: coverage"),
            "coverage_curve",
        )
        run.save_figure(
            plot_reliability_diagram(
                levels,
                reliability,
                labels=("quantile level", "observed fraction below"),
                title="posterior predictive: reliability",
            ),
            "reliability_diagram",
        )
    return summary
