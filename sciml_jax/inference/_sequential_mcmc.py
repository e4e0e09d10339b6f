"""Sequential NLE and NRE (SNLE: Papamakarios et al. 2019; SNRE: Hermans et al. 2020):
rounds that simulate from the current MCMC posterior for one observation."""

from __future__ import annotations

import jax.numpy as jnp
import jax.random as jr
from tqdm.auto import tqdm

from .._types import Array, Float, Key
from ._fit import FitConfig
from ._mcmc import MCMCConfig
from ._nle import fit_nle
from ._npe import simulate_for_sbi
from ._nre import fit_nre
from ._task import AbstractTask

__all__ = ["fit_snle", "fit_snre"]


def _round_sizes(num_simulations: int, num_rounds: int) -> list[int]:
    if num_rounds < 1 or num_simulations < 10 * num_rounds:
        raise ValueError(
            f"num_simulations = {num_simulations} over num_rounds = {num_rounds}: need "
            "num_rounds >= 1 and at least 10 simulations per round."
        )
    per_round = num_simulations // num_rounds
    return [num_simulations - per_round * (num_rounds - 1)] + [per_round] * (num_rounds - 1)


def _fit_sequential(name, fit_round, task, x_o, num_simulations, key, num_rounds, progress):
    """Round 1 simulates from the prior, round r > 1 from the posterior of round r - 1
    (NUTS draws for `x_o`); each round refits on all pairs so far, continuing from the
    last round's network, z-scored with round 1's statistics. Valid for any proposal:
    the likelihood (NLE) and the ratio in theta (NRE) do not depend on it."""
    x_o = jnp.asarray(x_o)
    sizes = _round_sizes(num_simulations, num_rounds)
    thetas, xs = [], []
    posterior = None
    info = {"simulations": [], "proposal_std": []}
    bar = tqdm(range(num_rounds), desc=f"{name} {task.name}", disable=not progress)
    for r in bar:
        sim_key, fit_key = jr.split(jr.fold_in(key, r))
        proposal = None if posterior is None else (lambda k, n, p=posterior: p.sample(k, x_o, n))
        theta, x = simulate_for_sbi(task, sizes[r], key=sim_key, proposal=proposal)
        thetas.append(theta)
        xs.append(x)
        info["simulations"].append(int(theta.shape[0]))
        info["proposal_std"].append(float(jnp.mean(jnp.std(theta, axis=0))))
        posterior = fit_round(
            jnp.concatenate(thetas), jnp.concatenate(xs), fit_key, posterior, (thetas[0], xs[0])
        )
        bar.set_postfix(simulations=sum(info["simulations"]))
    return posterior, info


def fit_snle(
    task: AbstractTask,
    x_o: Float[Array, " dim_x"],
    num_simulations: int,
    *,
    key: Key,
    num_rounds: int = 10,
    flow_kind: str = "nsf",
    flow_options: dict | None = None,
    fit: FitConfig | None = None,
    mcmc: MCMCConfig | None = None,
    progress: bool = True,
):
    """Sequential neural likelihood estimation for one observation `x_o`.

    The budget is split evenly over `num_rounds` (the remainder goes to round 1; sbibm
    used 10 rounds). A tqdm bar runs over the rounds.

    **Returns:** `(NLEPosterior, info)` with per-round `simulations` and `proposal_std`
    (the mean over coordinates of the proposed parameters' standard deviation).
    """

    def fit_round(theta, x, key, previous, reference):
        posterior, _ = fit_nle(
            task,
            theta,
            x,
            key=key,
            flow=None if previous is None else previous.flow,
            flow_kind=flow_kind,
            flow_options=flow_options,
            fit=fit,
            mcmc=mcmc,
            standardize_from=reference,
        )
        return posterior

    return _fit_sequential("SNLE", fit_round, task, x_o, num_simulations, key, num_rounds, progress)


def fit_snre(
    task: AbstractTask,
    x_o: Float[Array, " dim_x"],
    num_simulations: int,
    *,
    key: Key,
    num_rounds: int = 10,
    width: int = 50,
    depth: int = 3,
    fit: FitConfig | None = None,
    mcmc: MCMCConfig | None = None,
    progress: bool = True,
):
    """Sequential neural ratio estimation for one observation `x_o`; as `fit_snle`.

    **Returns:** `(NREPosterior, info)`.
    """

    def fit_round(theta, x, key, previous, reference):
        posterior, _ = fit_nre(
            task,
            theta,
            x,
            key=key,
            classifier=None if previous is None else previous.classifier,
            width=width,
            depth=depth,
            fit=fit,
            mcmc=mcmc,
            standardize_from=reference,
        )
        return posterior

    return _fit_sequential("SNRE", fit_round, task, x_o, num_simulations, key, num_rounds, progress)
