"""Truncated sequential neural posterior estimation (TSNPE; Deistler et al. 2022)."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from tqdm.auto import tqdm

from .._types import Array, Float, Key
from ._fit import FitConfig
from ._npe import NPEPosterior, fit_npe, simulate_for_sbi
from ._task import AbstractTask

__all__ = ["truncated_prior", "fit_tsnpe"]


@eqx.filter_jit
def _log_prob(posterior, theta, x):
    return posterior.log_prob(theta, x)


def truncated_prior(
    task: AbstractTask,
    posterior: NPEPosterior,
    x_o: Float[Array, " dim_x"],
    *,
    key: Key,
    epsilon: float = 1e-4,
    num_quantile_samples: int = 20_000,
    max_draws: int = 20_000_000,
):
    """The prior restricted to the current posterior's highest-probability region.

    The region is $\\{\\theta : q(\\theta | x_o) \\ge \\tau\\}$, with $\\tau$ the
    `epsilon`-quantile of $\\log q$ over `num_quantile_samples` posterior draws, so it holds
    $1 - \\epsilon$ of $q$'s mass. Proposals are drawn from the prior and kept inside the
    region (rejection), which is the prior truncated to it: training on these pairs with
    the plain NPE loss stays valid inside the region (Deistler et al. 2022).

    **Returns:** `proposal(key, n) -> (n, dim_theta)` and the acceptance estimate.
    """
    q_key, key = jr.split(key)
    draws = posterior.sample(q_key, x_o, num_quantile_samples)
    tau = float(jnp.quantile(_log_prob(posterior, draws, x_o), epsilon))
    probe = task.prior.sample(key, (100_000,))
    acceptance = float(jnp.mean(_log_prob(posterior, probe, x_o) >= tau))

    def proposal(key, n):
        kept, count, drawn = [], 0, 0
        batch = int(min(max(4 * n / max(acceptance, 1e-6), 10_000), 2_000_000))
        while count < n:
            if drawn >= max_draws:
                raise RuntimeError(
                    f"truncated prior of {task.name}: only {count} of {drawn} prior draws "
                    f"lie in the region (acceptance {acceptance:.2e}); use fewer rounds, or a "
                    "larger epsilon."
                )
            key, sub = jr.split(key)
            theta = task.prior.sample(sub, (batch,))
            inside = np.asarray(_log_prob(posterior, theta, x_o) >= tau)
            kept.append(np.asarray(theta)[inside])
            count += int(inside.sum())
            drawn += batch
        return jnp.asarray(np.concatenate(kept)[:n])

    return proposal, acceptance


def fit_tsnpe(
    task: AbstractTask,
    x_o: Float[Array, " dim_x"],
    num_simulations: int,
    *,
    key: Key,
    num_rounds: int = 5,
    epsilon: float = 1e-4,
    flow_kind: str = "nsf",
    flow_options: dict | None = None,
    fit: FitConfig | None = None,
    progress: bool = True,
):
    """Sequential NPE for one observation $x_o$ with truncated-prior proposals.

    Round 1 simulates from the prior; each later round simulates from the prior truncated
    to the current posterior's $1 - \\epsilon$ region (`truncated_prior`), and the flow
    is trained further on all pairs so far with the ordinary NPE loss. The budget is split
    evenly over `num_rounds` rounds (the remainder goes to the first round). A tqdm bar
    runs over the rounds.

    **Returns:** `(posterior, info)`: the last round's `NPEPosterior` and a dict with
    per-round `acceptance` (the truncated region's prior mass) and `simulations`.
    """
    if num_rounds < 1 or num_simulations < 10 * num_rounds:
        raise ValueError(
            f"num_simulations = {num_simulations} over num_rounds = {num_rounds}: need "
            "num_rounds >= 1 and at least 10 simulations per round."
        )
    per_round = num_simulations // num_rounds
    first = num_simulations - per_round * (num_rounds - 1)
    thetas, xs = [], []
    posterior, proposal = None, None
    info = {"acceptance": [1.0], "simulations": []}
    bar = tqdm(range(num_rounds), desc=f"TSNPE {task.name}", disable=not progress)
    for r in bar:
        sim_key, fit_key, trunc_key = jr.split(jr.fold_in(key, r), 3)
        n = first if r == 0 else per_round
        theta, x = simulate_for_sbi(task, n, key=sim_key, proposal=proposal)
        thetas.append(theta)
        xs.append(x)
        info["simulations"].append(int(theta.shape[0]))
        all_theta, all_x = jnp.concatenate(thetas), jnp.concatenate(xs)
        posterior, _ = fit_npe(
            task,
            all_theta,
            all_x,
            key=fit_key,
            flow=None if posterior is None else posterior.flow,
            flow_kind=flow_kind,
            flow_options=flow_options,
            fit=fit,
            standardize_from=(thetas[0], xs[0]),
        )
        if r + 1 < num_rounds:
            proposal, acceptance = truncated_prior(
                task, posterior, x_o, key=trunc_key, epsilon=epsilon
            )
            info["acceptance"].append(acceptance)
            bar.set_postfix(truncated_mass=f"{acceptance:.3g}")
    return posterior, info
