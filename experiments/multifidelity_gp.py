"""Two-fidelity Gaussian processes: a single-fidelity GP on the high-fidelity points alone
against AR1 (Kennedy-O'Hagan, `f_H = rho f_L + delta`) and NARGP (Perdikaris et al. 2017)
on the emukit tutorial problems. Nested designs: the high-fidelity inputs are the first
`num_high` of the `num_low` uniform random low-fidelity inputs."""

from dataclasses import dataclass

import jax.numpy as jnp
import jax.random as jr

from sciml_jax import uq
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.viz import plot_coverage_curve, plot_predictive_band, plot_reliability_diagram

DESCRIPTION = "Multi-fidelity GP (AR1, NARGP) vs a single-fidelity GP: Forrester, nonlinear pair"


def forrester_high(x):
    return (6 * x - 2) ** 2 * jnp.sin(12 * x - 4)


def forrester_low(x):
    return 0.5 * forrester_high(x) + 10 * (x - 0.5) - 5


def nonlinear_low(x):
    return jnp.sin(8 * jnp.pi * x)


def nonlinear_high(x):
    return (x - jnp.sqrt(2.0)) * nonlinear_low(x) ** 2


PROBLEMS = {
    "forrester": (forrester_low, forrester_high),
    "nonlinear": (nonlinear_low, nonlinear_high),
}


@dataclass(frozen=True)
class ProblemConfig:
    name: str = spec("forrester", choices=tuple(PROBLEMS), doc="the pair (f_L, f_H) on [0, 1]")
    num_low: int = spec(12, ge=2)
    num_high: int = spec(6, ge=2, doc="<= num_low: the first num_high low-fidelity inputs")
    num_test: int = spec(1000, ge=200, doc="evenly spaced test points on [0, 1]")
    seed: int = spec(0, ge=0, doc="the random design")


@dataclass(frozen=True)
class GPConfig:
    kernel: str = spec("rbf", choices=("rbf", "matern52", "matern32"), doc="single GP and AR1")
    num_restarts: int = spec(8, ge=1)
    steps: int = spec(500, ge=1, doc="Adam steps on the log marginal likelihood")
    learning_rate: float = spec(0.05, gt=0.0)
    num_mc_samples: int = spec(100, ge=1, doc="NARGP: low-fidelity posterior draws per point")


Config = wf.experiment_config(problem=ProblemConfig, gp=GPConfig)


def _rmse(mean, truth):
    return float(jnp.sqrt(jnp.mean((mean - truth) ** 2)))


def design(config: Config):
    """The training data and test grid of a config: `x_low, y_low, x_high, y_high, x, f_H(x)`
    (shared with `benchmarks/multifidelity_emukit.py`, which fits emukit to the same data)."""
    p = config.problem
    f_low, f_high = PROBLEMS[p.name]
    design_key = jr.split(jr.key(config.seed), 3)[0]
    dtype = jnp.asarray(0.0).dtype  # float64 under `precision: float64`
    x_low = jr.uniform(jr.fold_in(design_key, p.seed), (p.num_low,), dtype)
    x_high = x_low[: p.num_high]
    x = jnp.linspace(0.0, 1.0, p.num_test, dtype=dtype)
    return x_low, f_low(x_low), x_high, f_high(x_high), x, f_high(x)


def run(config: Config, run) -> dict:
    p, g = config.problem, config.gp
    if p.num_high > p.num_low:
        raise ValueError(
            f"problem.num_high = {p.num_high} must be <= problem.num_low = {p.num_low} "
            "(the high-fidelity inputs are a subset of the low-fidelity ones)."
        )
    x_low, y_low, x_high, y_high, x, truth = design(config)
    _, fit_key, mc_key = jr.split(jr.key(config.seed), 3)
    options = dict(num_restarts=g.num_restarts, steps=g.steps, learning_rate=g.learning_rate)

    single = uq.fit_gp(x_high, y_high, key=fit_key, kernel=g.kernel, **options)
    ar1 = uq.fit_ar1(x_low, y_low, x_high, y_high, key=fit_key, kernel=g.kernel, **options)
    nargp = uq.fit_nargp(x_low, y_low, x_high, y_high, key=fit_key, **options)
    predictions = {
        "single-fidelity GP": single.predict(x[:, None]),
        "AR1": ar1.predict(x),
        "NARGP": nargp.predict(x, key=mc_key, num_samples=g.num_mc_samples),
    }
    summary = {
        "problem": p.name,
        "num_low": p.num_low,
        "num_high": p.num_high,
        "num_test": p.num_test,
        "ar1_rho": float(ar1.rho),
    }
    coverage, reliability = {}, {}
    for (label, (mean, var)), key in zip(
        predictions.items(), ("single", "ar1", "nargp"), strict=True
    ):
        std = jnp.sqrt(jnp.maximum(var, 1e-300))
        summary[f"rmse_{key}"] = _rmse(mean, truth)
        summary[f"crps_{key}"] = float(jnp.mean(uq.crps_gaussian(truth, mean, std)))
        levels, coverage[label] = uq.gaussian_coverage_curve(truth, mean, std)
        _, reliability[label] = uq.quantile_calibration_curve(truth, mean, std)
        summary[f"calibration_error_{key}"] = float(uq.calibration_error(levels, coverage[label]))
    best = min(summary["rmse_ar1"], summary["rmse_nargp"])
    summary["rmse_ratio_ar1"] = summary["rmse_ar1"] / summary["rmse_single"]
    summary["rmse_ratio_nargp"] = summary["rmse_nargp"] / summary["rmse_single"]
    summary["rmse_ratio_best"] = best / summary["rmse_single"]

    if run is not None:
        mean, var = predictions["NARGP"]
        std = jnp.sqrt(var)
        extra = {}
        for label, key in (("single-fidelity GP", "single"), ("AR1", "ar1")):
            extra[f"mean_{key}"], extra[f"std_{key}"] = (
                predictions[label][0],
                jnp.sqrt(predictions[label][1]),
            )
        run.save_npz(
            "prediction",
            x=x,
            mean=mean,
            std=std,
            truth=truth,
            x_high=x_high,
            y_high=y_high,
            x_low=x_low,
            y_low=y_low,
            **extra,
        )
        data = {"high fidelity": (x_high, y_high), "low fidelity": (x_low, y_low)}
        for label, (m, v) in predictions.items():
            name = label.split()[0].lower().replace("-", "_")
            run.save_figure(
                plot_predictive_band(
                    x,
                    m,
                    jnp.sqrt(v),
                    reference=truth,
                    data=data,
                    labels=("x", "f_H(x)"),
                    title=f"{p.name}: {label}",
                ),
                f"prediction_{name}",
            )
        run.save_figure(
            plot_coverage_curve(levels, coverage, title=f"{p.name}: coverage"), "coverage_curve"
        )
        run.save_figure(
            plot_reliability_diagram(
                levels,
                reliability,
                labels=("quantile level", "observed fraction below"),
                title=f"{p.name}: reliability",
            ),
            "reliability_diagram",
        )
    return summary
