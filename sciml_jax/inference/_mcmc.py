"""Posteriors known up to a constant, sampled by NUTS (blackjax) in an unconstrained space.

NLE and NRE learn $\\log p(x_o|\\theta)$ up to a constant (a likelihood flow, a log ratio);
the posterior $\\propto$ that times the prior has no sampler of its own, so it is drawn by
MCMC, as in sbi and sbibm. Why blackjax's NUTS (Hoffman & Gelman 2014) with Stan's window
adaptation of step size and diagonal mass matrix: the potentials are smooth (flows and
MLPs), their gradients come free from JAX, and the chains run vmapped in one jitted call.
Chains run in $u$ with $\\theta = T(u)$ mapping $\\mathbb{R}^d$ onto the prior's support
(`support_bijection`), so no chain proposes outside it; the density in $u$ carries
$\\log|\\det \\partial T/\\partial u|$. Chains start by sampling-importance-resampling
from the prior (weights $\\propto$ the learned likelihood), which spreads them over the
posterior's modes in proportion to their mass: NUTS seldom crosses between modes, so the
mode weights of the samples are those of the starts.
"""

from __future__ import annotations

import abc
import dataclasses
import math

import blackjax
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from flowjax.bijections import Affine, Chain, Exp, Identity, Sigmoid
from flowjax.distributions import LogNormal, MultivariateNormal, Normal, Uniform

from .._types import Array, Float, Key
from ._task import AbstractTask

__all__ = ["MCMCConfig", "AbstractMCMCPosterior", "support_bijection", "sample_nuts"]


@dataclasses.dataclass(frozen=True)
class MCMCConfig:
    """How `AbstractMCMCPosterior.sample` runs NUTS.

    - `num_chains`: chains run in parallel (vmapped); the draws are split evenly.
    - `num_warmup`: window-adaptation steps per chain (step size, diagonal mass matrix).
    - `thin`: keep every `thin`-th draw.
    - `num_init_candidates`: prior draws the chains' starts are resampled from.
    """

    num_chains: int = 100
    num_warmup: int = 300
    thin: int = 1
    num_init_candidates: int = 10_000


def support_bijection(task: AbstractTask):
    """A flowjax bijection $T$ from $\\mathbb{R}^d$ onto the support of `task.prior`.

    A box prior $U(a, b)$ gets $T(u) = a + (b - a)\\,\\sigma(u)$, a log-normal prior
    $T = \\exp$, a Gaussian prior the identity.
    """
    prior, d = task.prior, task.dim_theta
    if isinstance(prior, Uniform):
        return Chain([Sigmoid((d,)), Affine(prior.minval, prior.maxval - prior.minval)])
    if isinstance(prior, LogNormal):
        return Exp((d,))
    if isinstance(prior, Normal | MultivariateNormal):
        return Identity((d,))
    raise ValueError(
        f"{task.name}: no unconstrained parametrisation for a {type(prior).__name__} prior; "
        "support_bijection knows Uniform, LogNormal, Normal and MultivariateNormal."
    )


def sample_nuts(
    log_density,
    initial: Float[Array, "chains d"],
    *,
    key: Key,
    num_samples: int,
    num_warmup: int = 300,
    thin: int = 1,
) -> tuple[Float[Array, "steps chains d"], dict]:
    """NUTS chains from `initial`, each with its own window adaptation, vmapped.

    **Arguments:** `log_density(u) -> scalar` (unbatched), `initial` (one row per chain),
    `key`, `num_samples` (kept draws per chain), `num_warmup`, `thin`.

    **Returns:** `(draws, info)`: draws of shape `(num_samples, chains, d)` and a dict with
    the mean `acceptance_rate` and the number of `divergences` after warm-up.
    Call it inside `jax.jit` (or `eqx.filter_jit`); the step counts are static.
    """
    adaptation = blackjax.window_adaptation(blackjax.nuts, log_density)

    def one_chain(key, position):
        warm_key, run_key = jr.split(key)
        (state, parameters), _ = adaptation.run(warm_key, position, num_steps=num_warmup)
        kernel = blackjax.nuts(log_density, **parameters).step

        def step(state, key):
            state, info = kernel(key, state)
            return state, (state.position, info.acceptance_rate, info.is_divergent)

        keys = jr.split(run_key, num_samples * thin)
        _, (positions, acceptance, divergent) = jax.lax.scan(step, state, keys)
        return positions[thin - 1 :: thin], acceptance, divergent

    chain_keys = jr.split(key, initial.shape[0])
    positions, acceptance, divergent = jax.vmap(one_chain)(chain_keys, initial)
    info = {"acceptance_rate": jnp.mean(acceptance), "divergences": jnp.sum(divergent)}
    return jnp.swapaxes(positions, 0, 1), info


class AbstractMCMCPosterior(eqx.Module):
    """$p(\\theta | x) \\propto \\exp(\\ell(\\theta, x))\\, p(\\theta)$ with a learned
    $\\ell$ (`log_potential`: a log likelihood for NLE, a log ratio for NRE), sampled by
    NUTS (`sample`). `mcmc` holds the sampler settings."""

    task: eqx.AbstractVar[AbstractTask]
    mcmc: eqx.AbstractVar[MCMCConfig]

    @abc.abstractmethod
    def log_potential(self, theta: Float[Array, " d"], x: Float[Array, " dim_x"]) -> Array:
        """$\\ell(\\theta, x)$ for one $\\theta$: the log likelihood up to an $x$-only constant."""

    def unnormalized_log_prob(self, theta: Float[Array, "*batch d"], x) -> Array:
        """$\\ell(\\theta, x) + \\log p(\\theta)$, $-\\infty$ outside the prior's support."""
        theta = jnp.asarray(theta)
        potential = jnp.vectorize(lambda t: self.log_potential(t, x), signature="(d)->()")
        prior = jnp.vectorize(self.task.prior.log_prob, signature="(d)->()")
        return potential(theta) + prior(theta)

    def sample(self, key: Key, x: Float[Array, " dim_x"], n: int) -> Float[Array, "n d"]:
        """`n` posterior draws for the observation `x` by NUTS (`self.mcmc` chains)."""
        draws, _ = self.sample_with_info(key, x, n)
        return draws

    def sample_with_info(self, key: Key, x, n: int) -> tuple[Array, dict]:
        """`sample` and the sampler's `acceptance_rate` and `divergences`."""
        if n < 1:
            raise ValueError(f"n = {n}; ask for at least one posterior draw.")
        per_chain = math.ceil(n / self.mcmc.num_chains)
        draws, info = _run_nuts(self, key, jnp.asarray(x), per_chain)
        # steps-major order: cutting the tail removes the last draws of every chain alike
        return draws.reshape(-1, self.task.dim_theta)[:n], {k: float(v) for k, v in info.items()}


@eqx.filter_jit
def _run_nuts(posterior: AbstractMCMCPosterior, key, x, per_chain: int):
    task, config = posterior.task, posterior.mcmc
    bijection = support_bijection(task)
    init_key, choice_key, run_key = jr.split(key, 3)

    candidates = task.prior.sample(init_key, (config.num_init_candidates,))
    weights = jax.vmap(lambda t: posterior.log_potential(t, x))(candidates)
    weights = jnp.where(jnp.isfinite(weights), weights, -jnp.inf)
    # sampling-importance-resampling without replacement (Gumbel top-k)
    gumbel = jr.gumbel(choice_key, weights.shape)
    _, chosen = jax.lax.top_k(weights + gumbel, config.num_chains)
    initial = jax.vmap(bijection.inverse)(candidates[chosen])

    def log_density(u):
        theta, log_det = bijection.transform_and_log_det(u)
        return posterior.log_potential(theta, x) + task.prior.log_prob(theta) + log_det

    draws, info = sample_nuts(
        log_density,
        initial,
        key=run_key,
        num_samples=per_chain,
        num_warmup=config.num_warmup,
        thin=config.thin,
    )
    return jax.vmap(jax.vmap(bijection.transform))(draws), info
