"""Neural posterior estimation (Papamakarios & Murray 2016; Greenberg et al. 2019) with flowjax."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from flowjax.bijections import RationalQuadraticSpline
from flowjax.distributions import Normal
from flowjax.flows import coupling_flow, masked_autoregressive_flow

from .._types import Array, Float, Key
from ._fit import FitConfig, fit_conditional_flow, standardization
from ._task import AbstractTask

__all__ = ["NPEPosterior", "make_flow", "fit_npe", "simulate_for_sbi"]


def make_flow(
    key: Key,
    dim_theta: int,
    dim_x: int,
    *,
    kind: str = "nsf",
    flow_layers: int = 5,
    nn_width: int = 50,
    knots: int = 10,
    interval: float = 5.0,
):
    """A conditional flow $q(\\theta | x)$ on standardised variables.

    **Arguments:**

    - `kind`: `"nsf"` (rational-quadratic spline coupling, Durkan et al. 2019, sbibm's
      NPE choice) or `"maf"` (affine masked autoregressive, Papamakarios et al. 2017).
      A 1D $\\theta$ has no coupling split, so `"nsf"` falls back to an autoregressive
      spline there.
    - `flow_layers`, `nn_width`: layers and conditioner width (sbibm: 5 and 50).
    - `knots`, `interval`: the splines' inner knots and range $[-a, a]$ (identity outside).
    """
    base = Normal(jnp.zeros(dim_theta))
    options = dict(base_dist=base, cond_dim=dim_x, flow_layers=flow_layers, nn_width=nn_width)
    if kind == "maf":
        return masked_autoregressive_flow(key, **options)
    if kind == "nsf":
        spline = RationalQuadraticSpline(knots=knots, interval=interval)
        build = coupling_flow if dim_theta > 1 else masked_autoregressive_flow
        return build(key, transformer=spline, **options)
    raise ValueError(f"unknown flow kind {kind!r}; choose 'nsf' or 'maf'.")


@eqx.filter_jit
def _draw(posterior, key, x, n):  # n is a Python int: static under filter_jit
    return posterior.sample_unrestricted(key, x, n)


class NPEPosterior(eqx.Module):
    """$q(\\theta | x)$: a flow on z-scored $(\\theta, x)$, restricted to the prior's support.

    $\\log q(\\theta|x) = \\log q_z((\\theta - \\mu_\\theta)/\\sigma_\\theta \\mid
    (x - \\mu_x)/\\sigma_x) - \\sum \\log \\sigma_\\theta$ (not renormalised for the
    mass the flow puts outside the prior's support; `sample` rejects those draws, as sbi does).
    """

    flow: eqx.Module
    theta_mean: Array
    theta_std: Array
    x_mean: Array
    x_std: Array
    task: AbstractTask

    def log_prob(self, theta: Float[Array, "*batch d"], x: Float[Array, " dim_x"]) -> Array:
        z = (theta - self.theta_mean) / self.theta_std
        c = (x - self.x_mean) / self.x_std
        logq = self.flow.log_prob(z, c) - jnp.sum(jnp.log(self.theta_std))
        return jnp.where(self.task.in_support(theta), logq, -jnp.inf)

    def sample_unrestricted(self, key: Key, x: Float[Array, " dim_x"], n: int) -> Array:
        """`n` draws of the flow, leakage outside the prior's support included."""
        c = (x - self.x_mean) / self.x_std
        return self.theta_mean + self.theta_std * self.flow.sample(key, (n,), condition=c)

    def sample(
        self, key: Key, x: Float[Array, " dim_x"], n: int, *, max_draws: int = 10_000_000
    ) -> Float[Array, "n d"]:
        """`n` draws of $q(\\theta | x)$ inside the prior's support, by rejection.

        Raises `RuntimeError` if fewer than `n` of `max_draws` flow samples land in the
        support (the flow has leaked almost everywhere: train longer or on more data).
        """
        kept, drawn = [], 0
        batch = max(n, 1000)
        while sum(len(k) for k in kept) < n:
            if drawn >= max_draws:
                raise RuntimeError(
                    f"only {sum(len(k) for k in kept)} of {drawn} posterior draws fell inside "
                    f"the prior's support of {self.task.name}; the flow leaks, train it longer."
                )
            key, sub = jr.split(key)
            theta = _draw(self, sub, x, batch)
            kept.append(np.asarray(theta)[np.asarray(self.task.in_support(theta))])
            drawn += batch
            batch = min(2 * batch, 1_000_000)
        return jnp.asarray(np.concatenate(kept)[:n])


@eqx.filter_jit
def _simulate_chunk(task, theta, key):
    # one compiled simulator per task and chunk shape, shared by every call and round (the
    # ODE tasks take 7-19 s to compile on a CPU; a fresh jax.jit per call recompiled them)
    return task.simulate_batch(theta, key=key)


def simulate_for_sbi(
    task: AbstractTask, n: int, *, key: Key, proposal=None, chunk: int = 10_000
) -> tuple[Array, Array]:
    """`n` pairs $\\theta \\sim$ `proposal` (default the prior), $x \\sim p(x | \\theta)$.

    The simulator runs vmapped over chunks of `chunk` parameters. Pairs whose simulation
    is not finite are dropped (sbibm's simulators return NaN there too).
    """
    theta_key, sim_key = jr.split(key)
    theta = task.prior.sample(theta_key, (n,)) if proposal is None else proposal(theta_key, n)
    xs = [
        _simulate_chunk(task, theta[i : i + chunk], jr.fold_in(sim_key, i))
        for i in range(0, n, chunk)
    ]
    x = jnp.concatenate(xs)
    good = np.asarray(jnp.all(jnp.isfinite(x), axis=1))
    return theta[good], x[good]


def fit_npe(
    task: AbstractTask,
    theta: Float[Array, "n d"],
    x: Float[Array, "n dim_x"],
    *,
    key: Key,
    flow=None,
    flow_kind: str = "nsf",
    flow_options: dict | None = None,
    fit: FitConfig | None = None,
    standardize_from: tuple[Array, Array] | None = None,
):
    """Neural posterior estimation: fit $q(\\theta|x)$ to pairs from the prior predictive.

    Minimises $-\\mathbb{E}_{p(\\theta) p(x|\\theta)} \\log q(\\theta | x)$, whose minimiser
    is the posterior $p(\\theta | x)$ for every $x$ (amortised).

    **Arguments:**

    - `task`: the `AbstractTask` (for dimensions and the prior's support).
    - `theta`, `x`: simulated pairs (e.g. from `simulate_for_sbi`).
    - `key`: initialises the flow and shuffles the training.
    - `flow`: a flow on standardised variables to continue training (sequential rounds);
      default a new `make_flow(kind=flow_kind, **flow_options)`.
    - `fit`: a `FitConfig`.
    - `standardize_from`: `(theta, x)` whose mean and std define the z-scoring
      (default the training pairs themselves).

    **Returns:** `(NPEPosterior, history)`.

    **Example:**

    ```python
    task = TwoMoons()
    theta, x = simulate_for_sbi(task, 10_000, key=jr.key(0))
    posterior, _ = fit_npe(task, theta, x, key=jr.key(1))
    samples = posterior.sample(jr.key(2), task.reference(1).observation, 10_000)
    ```
    """
    init_key, fit_key = jr.split(key)
    theta_mean, theta_std, x_mean, x_std = standardization(theta, x, standardize_from)
    if flow is None:
        flow = make_flow(
            init_key, task.dim_theta, task.dim_x, kind=flow_kind, **(flow_options or {})
        )
    flow, history = fit_conditional_flow(
        flow, (theta - theta_mean) / theta_std, (x - x_mean) / x_std, key=fit_key, config=fit
    )
    posterior = NPEPosterior(flow, theta_mean, theta_std, x_mean, x_std, task)
    return posterior, history
