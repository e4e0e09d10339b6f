"""Neural ratio estimation (Hermans et al. 2020): a classifier of joint against shuffled
$(\\theta, x)$ pairs whose logit is $\\log p(x|\\theta) / p(x)$; posterior by MCMC."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from .._types import Array, Float, Key
from ._fit import FitConfig, fit_by_epochs, standardization
from ._mcmc import AbstractMCMCPosterior, MCMCConfig
from ._task import AbstractTask

__all__ = ["RatioClassifier", "NREPosterior", "fit_nre", "nre_loss"]


class RatioClassifier(eqx.Module):
    """$d(\\theta, x) = \\mathrm{MLP}([\\theta, x])$, a logit on standardised inputs."""

    mlp: eqx.nn.MLP

    def __init__(self, dim_theta: int, dim_x: int, *, key: Key, width: int = 50, depth: int = 3):
        self.mlp = eqx.nn.MLP(
            dim_theta + dim_x, "scalar", width, depth, activation=jax.nn.relu, key=key
        )

    def __call__(self, theta: Float[Array, " d"], x: Float[Array, " dim_x"]) -> Array:
        return self.mlp(jnp.concatenate([theta, x]))


def nre_loss(classifier, batch, key) -> Array:
    """Binary cross-entropy of joint pairs $(\\theta_i, x_i)$ (label 1) against pairs
    $(\\theta_{\\pi(i)}, x_i)$ with a random permutation $\\pi$ (label 0).

    The Bayes-optimal logit is $\\log p(\\theta, x) / (p(\\theta) p(x)) =
    \\log p(x|\\theta) - \\log p(x)$ for the proposal the $\\theta_i$ came from: in
    $\\theta$, the log likelihood up to a constant, whatever the proposal.
    """
    theta, x = batch
    shuffled = theta[jr.permutation(key, theta.shape[0])]
    joint = jax.vmap(classifier)(theta, x)
    marginal = jax.vmap(classifier)(shuffled, x)
    return jnp.mean(jax.nn.softplus(-joint)) + jnp.mean(jax.nn.softplus(marginal))


class NREPosterior(AbstractMCMCPosterior):
    """$p(\\theta | x) \\propto \\exp d(\\theta, x)\\, p(\\theta)$ with $d$ the trained
    `RatioClassifier` on z-scored inputs."""

    classifier: RatioClassifier
    theta_mean: Array
    theta_std: Array
    x_mean: Array
    x_std: Array
    task: AbstractTask
    mcmc: MCMCConfig

    def log_ratio(self, theta: Float[Array, " d"], x: Float[Array, " dim_x"]) -> Array:
        """The learned $\\log p(x|\\theta) / p(x)$."""
        return self.classifier(
            (theta - self.theta_mean) / self.theta_std, (x - self.x_mean) / self.x_std
        )

    def log_potential(self, theta, x):
        return self.log_ratio(theta, x)


def fit_nre(
    task: AbstractTask,
    theta: Float[Array, "n d"],
    x: Float[Array, "n dim_x"],
    *,
    key: Key,
    classifier: RatioClassifier | None = None,
    width: int = 50,
    depth: int = 3,
    fit: FitConfig | None = None,
    mcmc: MCMCConfig | None = None,
    standardize_from: tuple[Array, Array] | None = None,
):
    """Neural ratio estimation: train `RatioClassifier` with `nre_loss` on simulated pairs.

    **Arguments:** as `fit_nle`, with `classifier` (to continue training, sequential rounds)
    or `width`, `depth` for a new one.

    **Returns:** `(NREPosterior, history)`.
    """
    theta, x = jnp.asarray(theta), jnp.asarray(x)
    if theta.shape[0] != x.shape[0]:
        raise ValueError(
            f"theta has {theta.shape[0]} rows but x has {x.shape[0]}; pass matching pairs."
        )
    init_key, fit_key = jr.split(key)
    theta_mean, theta_std, x_mean, x_std = standardization(theta, x, standardize_from)
    if classifier is None:
        classifier = RatioClassifier(
            task.dim_theta, task.dim_x, key=init_key, width=width, depth=depth
        )
    standardized = ((theta - theta_mean) / theta_std, (x - x_mean) / x_std)
    classifier, history = fit_by_epochs(classifier, nre_loss, standardized, key=fit_key, config=fit)
    mcmc = MCMCConfig() if mcmc is None else mcmc
    posterior = NREPosterior(
        classifier=classifier,
        theta_mean=theta_mean,
        theta_std=theta_std,
        x_mean=x_mean,
        x_std=x_std,
        task=task,
        mcmc=mcmc,
    )
    return posterior, history
