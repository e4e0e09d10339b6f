"""The SBI methods by name, as the experiments choose them: amortised (one network for
every observation) or sequential (rounds for one observation)."""

from __future__ import annotations

from .._types import Array, Key
from ._fit import FitConfig
from ._mcmc import MCMCConfig
from ._nle import fit_nle
from ._npe import fit_npe
from ._nre import fit_nre
from ._sequential import fit_tsnpe
from ._sequential_mcmc import fit_snle, fit_snre
from ._task import AbstractTask

__all__ = ["AMORTIZED_METHODS", "METHODS", "SEQUENTIAL_METHODS", "fit_amortized", "fit_sequential"]

AMORTIZED_METHODS = ("npe", "nle", "nre")
SEQUENTIAL_METHODS = ("tsnpe", "snle", "snre")
METHODS = AMORTIZED_METHODS + SEQUENTIAL_METHODS


def _check(method: str, allowed: tuple[str, ...]) -> None:
    if method not in allowed:
        raise ValueError(f"method {method!r} is not one of {list(allowed)}.")


def fit_amortized(
    method: str,
    task: AbstractTask,
    theta: Array,
    x: Array,
    *,
    key: Key,
    flow_kind: str = "nsf",
    flow_options: dict | None = None,
    classifier_options: dict | None = None,
    fit: FitConfig | None = None,
    mcmc: MCMCConfig | None = None,
):
    """`fit_npe`, `fit_nle` or `fit_nre` on the pairs `(theta, x)`, by `method` name.

    **Returns:** `(posterior, history)`; `posterior.sample(key, x_o, n)` draws for any
    observation (directly for NPE, by NUTS for NLE and NRE).
    """
    _check(method, AMORTIZED_METHODS)
    if method == "npe":
        return fit_npe(
            task, theta, x, key=key, flow_kind=flow_kind, flow_options=flow_options, fit=fit
        )
    if method == "nle":
        return fit_nle(
            task,
            theta,
            x,
            key=key,
            flow_kind=flow_kind,
            flow_options=flow_options,
            fit=fit,
            mcmc=mcmc,
        )
    return fit_nre(task, theta, x, key=key, fit=fit, mcmc=mcmc, **(classifier_options or {}))


def fit_sequential(
    method: str,
    task: AbstractTask,
    x_o: Array,
    num_simulations: int,
    *,
    key: Key,
    num_rounds: int,
    flow_kind: str = "nsf",
    flow_options: dict | None = None,
    classifier_options: dict | None = None,
    fit: FitConfig | None = None,
    mcmc: MCMCConfig | None = None,
    progress: bool = True,
):
    """`fit_tsnpe`, `fit_snle` or `fit_snre` for the observation `x_o`, by `method` name,
    with a tqdm bar over the simulation rounds.

    **Returns:** `(posterior, info)` as the chosen function returns them.
    """
    _check(method, SEQUENTIAL_METHODS)
    common = dict(key=key, num_rounds=num_rounds, fit=fit, progress=progress)
    if method == "tsnpe":
        return fit_tsnpe(
            task,
            x_o,
            num_simulations,
            flow_kind=flow_kind,
            flow_options=flow_options,
            **common,
        )
    if method == "snle":
        return fit_snle(
            task,
            x_o,
            num_simulations,
            flow_kind=flow_kind,
            flow_options=flow_options,
            mcmc=mcmc,
            **common,
        )
    return fit_snre(task, x_o, num_simulations, mcmc=mcmc, **(classifier_options or {}), **common)
