"""Conformal bands for an FNO Burgers operator u0 -> u(., 1) (nu = 0.1): train a small FNO
by the operator protocol, fit a per-point scale on held-out functions, calibrate
simultaneous (sup-norm, normalised per point) and pointwise bands on other held-out
functions, and measure how often whole test functions lie inside (Gopakumar et al. 2024)."""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax import uq
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.data import Normalizer, burgers_dataset
from sciml_jax.viz import plot_coverage_curve, plot_function_bands

DESCRIPTION = "Conformal simultaneous/pointwise bands for an FNO on Burgers (nu=0.1), a=0.1"


@dataclass(frozen=True)
class DataConfig:
    num_train: int = spec(200, ge=1)
    num_scale: int = spec(100, ge=1, doc="held-out functions for the per-point scale")
    num_calibration: int = spec(300, ge=1)
    num_test: int = spec(1000, ge=1)
    resolution: int = spec(128, ge=8)
    solve_points: int = spec(256, ge=8, doc="solver grid (nu = 0.1 is resolved at 256)")
    grf_modes: int = spec(128, ge=1)
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class ModelConfig:
    width: int = spec(32, ge=1)
    modes: int = spec(12, ge=1)
    num_layers: int = spec(4, ge=1)


@dataclass(frozen=True)
class ConformalConfig:
    alpha: float = spec(0.1, gt=0.0, lt=1.0, doc="miscoverage: bands at 1 - alpha")
    normalize: bool = spec(True, doc="sup-norm score divided by the per-point residual scale")


Config = wf.experiment_config(
    data=DataConfig, model=ModelConfig, protocol=wf.EpochProtocolConfig, conformal=ConformalConfig
)


@eqx.filter_jit
def _predict(model, a):
    return jax.vmap(model)(a)


def _predict_batched(model, a, batch: int = 100):
    return jnp.concatenate([_predict(model, a[i : i + batch]) for i in range(0, len(a), batch)])


def run(config: Config, run) -> dict:
    d, c = config.data, config.conformal
    sizes = (d.num_train, d.num_scale, d.num_calibration, d.num_test)
    data = burgers_dataset(
        sum(sizes),
        resolution=d.resolution,
        solve_points=max(d.solve_points, d.resolution),
        grf_modes=d.grf_modes,
        seed=d.seed,
    )
    a, u = jnp.asarray(data["a"]), jnp.asarray(data["u"])
    edges = [0, *jnp.cumsum(jnp.asarray(sizes)).tolist()]
    parts = [(a[i:j], u[i:j]) for i, j in zip(edges[:-1], edges[1:], strict=True)]
    (a_train, u_train), (a_scale, u_scale), (a_cal, u_cal), (a_test, u_test) = parts
    a_norm = Normalizer.fit(a_train, pointwise=False)
    u_norm = Normalizer.fit(u_train, pointwise=False)

    def loss_fn(net, batch, key):
        model = wf.NormalizedOperator(net, a_norm, u_norm)
        return wf.mean_rel_l2(jax.vmap(model)(batch["a"]), batch["u"])

    model_key, train_key = jr.split(jr.key(config.seed))
    result, sampler = wf.fit_epochs(
        wf.fno_from_config(1, config.model, key=model_key),
        loss_fn,
        config.train,
        config.protocol,
        {"a": a_train, "u": u_train},
        key=train_key,
        run=run,
        eval_fn=None,
    )
    model = wf.NormalizedOperator(result.model, a_norm, u_norm)
    pred_scale, pred_cal, pred_test = (_predict_batched(model, x) for x in (a_scale, a_cal, a_test))
    # The scale comes from functions disjoint from the calibration set, so calibration
    # and test scores stay exchangeable.
    scale = uq.residual_scale(u_scale, pred_scale) if c.normalize else None
    lower, upper = uq.simultaneous_band(u_cal, pred_cal, pred_test, alpha=c.alpha, scale_cal=scale)
    lower_pw, upper_pw = uq.pointwise_band(u_cal, pred_cal, pred_test, alpha=c.alpha)

    def inside(lo, hi):
        return (u_test >= lo) & (u_test <= hi)

    def whole(lo, hi):
        return float(jnp.mean(jnp.all(inside(lo, hi).reshape(d.num_test, -1), axis=1)))

    levels = uq.nominal_levels(19)
    curves = {"simultaneous (whole functions)": [], "pointwise (grid points)": []}
    for level in levels.tolist():
        alpha = 1.0 - level
        curves["simultaneous (whole functions)"].append(
            whole(*uq.simultaneous_band(u_cal, pred_cal, pred_test, alpha=alpha, scale_cal=scale))
        )
        lo, hi = uq.pointwise_band(u_cal, pred_cal, pred_test, alpha=alpha)
        curves["pointwise (grid points)"].append(float(jnp.mean(inside(lo, hi))))

    summary = {
        "alpha": c.alpha,
        "num_calibration": d.num_calibration,
        "num_test": d.num_test,
        "resolution": d.resolution,
        "test_rel_l2": float(wf.mean_rel_l2(pred_test, u_test)),
        "simultaneous_coverage": whole(lower, upper),
        "simultaneous_target": 1 - c.alpha,
        "simultaneous_upper_bound": 1 - c.alpha + 1 / (d.num_calibration + 1),
        "pointwise_coverage_points": float(jnp.mean(inside(lower_pw, upper_pw))),
        "pointwise_coverage_functions": whole(lower_pw, upper_pw),
        "simultaneous_mean_width": float(jnp.mean(upper - lower)),
        "pointwise_mean_width": float(jnp.mean(upper_pw - lower_pw)),
        "coverage_curve_error": float(
            uq.calibration_error(levels, jnp.asarray(curves["simultaneous (whole functions)"]))
        ),
        **{
            k: v
            for k, v in wf.protocol_summary(result, sampler, config.protocol, d).items()
            if k != "num_test"
        },
    }
    if run is not None:
        run.save_npz(
            "prediction",
            a=a_test,
            u=u_test,
            prediction=pred_test,
            lower=lower,
            upper=upper,
            lower_pointwise=lower_pw,
            upper_pointwise=upper_pw,
            alpha=c.alpha,
        )
        x = jnp.arange(d.resolution) / d.resolution
        run.save_figure(
            plot_function_bands(
                x,
                u_test[:3, 0],
                pred_test[:3, 0],
                lower[:3, 0],
                upper[:3, 0],
                labels=("x", "u(x, 1)"),
                title="simultaneous band",
            ),
            "bands",
        )
        run.save_figure(
            plot_coverage_curve(levels, curves, title="conformal FNO: coverage"), "coverage_curve"
        )
    return summary
