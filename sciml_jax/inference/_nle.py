"""Neural likelihood estimation (Papamakarios et al. 2019): a flow $q(x|\\theta)$, then MCMC."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr

from .._types import Array, Float, Key
from ._fit import FitConfig, fit_conditional_flow, standardization
from ._mcmc import AbstractMCMCPosterior, MCMCConfig
from ._npe import make_flow
from ._task import AbstractTask

__all__ = ["NLEPosterior", "fit_nle"]


class NLEPosterior(AbstractMCMCPosterior):
    """$p(\\theta | x) \\propto q(x | \\theta)\\, p(\\theta)$ with $q$ a flow on z-scored
    $(x, \\theta)$: $\\log q(x|\\theta) = \\log q_z((x - \\mu_x)/\\sigma_x \\mid
    (\\theta - \\mu_\\theta)/\\sigma_\\theta) - \\sum \\log \\sigma_x$."""

    flow: eqx.Module
    theta_mean: Array
    theta_std: Array
    x_mean: Array
    x_std: Array
    task: AbstractTask
    mcmc: MCMCConfig

    def log_likelihood(self, x: Float[Array, "*batch dim_x"], theta: Float[Array, " d"]) -> Array:
        """The learned $\\log q(x | \\theta)$, a normalised density in $x$."""
        z = (x - self.x_mean) / self.x_std
        c = (theta - self.theta_mean) / self.theta_std
        return self.flow.log_prob(z, c) - jnp.sum(jnp.log(self.x_std))

    def log_potential(self, theta, x):
        return self.log_likelihood(x, theta)


def fit_nle(
    task: AbstractTask,
    theta: Float[Array, "n d"],
    x: Float[Array, "n dim_x"],
    *,
    key: Key,
    flow=None,
    flow_kind: str = "nsf",
    flow_options: dict | None = None,
    fit: FitConfig | None = None,
    mcmc: MCMCConfig | None = None,
    standardize_from: tuple[Array, Array] | None = None,
):
    """Neural likelihood estimation: fit $q(x|\\theta)$ to simulated pairs.

    Minimises $-\\frac1n \\sum_i \\log q(x_i | \\theta_i)$, whose minimiser is the
    likelihood $p(x|\\theta)$ wherever the proposal of the $\\theta_i$ puts mass, whatever
    that proposal is (so sequential rounds may pool all pairs). The posterior for an
    observation is then drawn by NUTS (`NLEPosterior.sample`). Arguments as in `fit_npe`,
    plus `mcmc` (an `MCMCConfig`).

    **Returns:** `(NLEPosterior, history)`.

    **Example:**

    ```python
    task = GaussianLinear()
    theta, x = simulate_for_sbi(task, 10_000, key=jr.key(0))
    posterior, _ = fit_nle(task, theta, x, key=jr.key(1))
    samples = posterior.sample(jr.key(2), task.reference(1).observation, 10_000)
    ```
    """
    init_key, fit_key = jr.split(key)
    theta_mean, theta_std, x_mean, x_std = standardization(theta, x, standardize_from)
    if flow is None:
        flow = make_flow(
            init_key, task.dim_x, task.dim_theta, kind=flow_kind, **(flow_options or {})
        )
    flow, history = fit_conditional_flow(
        flow, (x - x_mean) / x_std, (theta - theta_mean) / theta_std, key=fit_key, config=fit
    )
    mcmc = MCMCConfig() if mcmc is None else mcmc
    posterior = NLEPosterior(
        flow=flow,
        theta_mean=theta_mean,
        theta_std=theta_std,
        x_mean=x_mean,
        x_std=x_std,
        task=task,
        mcmc=mcmc,
    )
    return posterior, history
