"""Fit a CDF to an empirical CDF with and without the monotonicity (ReLU slope) penalty
(`losses.monotonicity_penalty`), vs the true CDF of the Gaussian mixture sampled."""

import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import spec
from sciml_jax.losses import data_loss, monotonicity_penalty
from sciml_jax.nn import MLP
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_histories

DESCRIPTION = "Monotone CDF fit (ReLU(-slope)^2 penalty) to a Gaussian-mixture ECDF vs unpenalised"

LO, HI = -5.0, 7.0


@dataclass(frozen=True)
class ProblemConfig:
    n_samples: int = spec(60, ge=2, doc="draws from the mixture behind the empirical CDF")
    n_penalty: int = spec(1024, ge=2, doc="points where the slope is penalised")
    penalty_weight: float = spec(1e4, gt=0.0)
    slope_margin: float = spec(1e-3, ge=0.0, doc="penalise slope < margin (strictness)")
    n_check: int = spec(10_000, ge=2, doc="grid on which violations are counted")
    width: int = spec(64, ge=1)
    depth: int = spec(3, ge=1)


Config = workflow.experiment_config(problem=ProblemConfig)


def true_cdf(x):
    """CDF of 0.6 N(0, 1) + 0.4 N(3, 0.5^2)."""
    from jax.scipy.stats import norm

    return 0.6 * norm.cdf(x) + 0.4 * norm.cdf((x - 3.0) / 0.5)


def draw_samples(key, n):
    pick, z = jr.split(key)
    first = jr.uniform(pick, (n,)) < 0.6
    normal = jr.normal(z, (n,))
    return jnp.where(first, normal, 3.0 + 0.5 * normal)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    data_key, model_key, train_key = jr.split(jr.key(config.seed), 3)
    samples = jnp.sort(draw_samples(data_key, problem.n_samples))
    # The empirical CDF at the samples (mid-step values), plus anchors 0 and 1 at the ends.
    ecdf = (jnp.arange(problem.n_samples) + 0.5) / problem.n_samples
    points = jnp.concatenate([jnp.array([LO]), samples, jnp.array([HI])])[:, None]
    values = jnp.concatenate([jnp.zeros(1), ecdf, jnp.ones(1)])
    slope_points = jnp.linspace(LO, HI, problem.n_penalty)[:, None]
    check = jnp.linspace(LO, HI, problem.n_check)[:, None]
    batch = {"points": points, "values": values, "slope_points": slope_points}

    def make_loss(penalised: bool):
        def loss_fn(model, batch, key):
            terms = {"data": data_loss(model, batch["points"], batch["values"])}
            if penalised:
                # Jitter the penalty grid by up to one cell each step, so over training
                # the slope is penalised on the whole interval, not only on the grid.
                cell = (HI - LO) / (problem.n_penalty - 1)
                shape = batch["slope_points"].shape
                jitter = cell * jr.uniform(key, shape, minval=-0.5, maxval=0.5)
                shifted = lambda p: model(p) - problem.slope_margin * p[0]  # noqa: E731
                penalty = monotonicity_penalty(shifted, batch["slope_points"] + jitter)
                terms["monotonicity"] = problem.penalty_weight * penalty
            return terms

        return loss_fn

    summary, fits = {}, {}
    start = time.perf_counter()
    for penalised in (True, False):
        name = "penalised" if penalised else "unpenalised"
        model = MLP(1, "scalar", problem.width, problem.depth, key=model_key)
        result = fit(model, make_loss(penalised), config.train, key=train_key, data=batch, run=None)
        u = np.asarray(jax.vmap(result.model)(check), dtype=np.float64)
        truth = np.asarray(true_cdf(check[:, 0]), dtype=np.float64)
        summary[f"{name}_violations"] = int(np.sum(np.diff(u) < 0))
        summary[f"{name}_rel_l2"] = float(np.linalg.norm(u - truth) / np.linalg.norm(truth))
        fits[name] = (u, result.history)
    summary["wall_time_s"] = time.perf_counter() - start
    summary["rel_l2"] = summary["penalised_rel_l2"]
    if run is not None:
        x, curves = np.asarray(check[:, 0]), {name: u for name, (u, _) in fits.items()}
        truth, data = ("true CDF", np.asarray(true_cdf(x))), ("empirical CDF", samples, ecdf)
        extra = {"u_unpenalised": curves["unpenalised"]}
        workflow.save_curves(run, x, curves, truth, data, ("x", "F(x)"), **extra)
        histories = {f"{name} data": history for name, (_, history) in fits.items()}
        run.save_figure(plot_histories(histories, "data", ylabel="data loss"), "loss_curves")
    return summary
