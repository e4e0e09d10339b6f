"""Autoregressive emulators of Kuramoto-Sivashinsky: one-step vs unrolled training, scored
by the geometric-mean nRMSE of 100-step rollouts (APEBench, Koehler et al. 2024) and a
2000-step stability check (no blow-up, the energy within a factor of the attractor's). The
stabilisers (`model.keep_modes`, `model.zero_mean`, `objective.noise_std`) are off unless
the config turns them on; `projection_floor_nrmse` is what the projection alone costs."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.data import ks_trajectories
from sciml_jax.losses import make_autoregressive_loss
from sciml_jax.sampling import TrajectorySampler
from sciml_jax.train import fit
from sciml_jax.viz import plot_rollout_error

DESCRIPTION = (
    "KS (N=256) emulators: one-step vs unrolled training; 200-step nRMSE, 2000-step stability"
)


@dataclass(frozen=True)
class DataConfig:
    num_train_trajectories: int = spec(50, ge=1)
    train_steps: int = spec(200, ge=2, doc="saved steps per training trajectory")
    num_test_trajectories: int = spec(10, ge=1)
    test_steps: int = spec(200, ge=100, doc="rollout length scored against the reference")
    stability_steps: int = spec(2000, ge=1, doc="emulator-only rollout checked for blow-up")
    num_points: int = spec(256, ge=16)
    domain_extent: float = spec(60.0, gt=0.0)
    dt: float = spec(0.5, gt=0.0)
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class ModelConfig:
    architecture: str = spec("fno", choices=("fno", "unet", "dilated_resnet"))
    width: int = spec(32, ge=1)
    modes: int = spec(24, ge=1, doc="FNO only")
    num_layers: int = spec(4, ge=1, doc="FNO layers, U-Net levels or ResNet blocks")
    keep_modes: int | None = spec(
        None,
        ge=1,
        doc="project each predicted state onto wavenumbers |k| < keep_modes (None: off); "
        "the KS data at N=256, L=60 has energy above float32 round-off up to k ~ 48",
    )
    zero_mean: bool = spec(False, doc="project out the spatial mean (a KS invariant)")


@dataclass(frozen=True)
class ObjectiveConfig:
    modes: tuple[str, ...] = spec(
        ("one_step", "unrolled"),
        doc="objectives compared (one_step, unrolled, pushforward, curriculum)",
    )
    num_unroll: int = spec(5, ge=1)
    batch_size: int = spec(16, ge=1)
    curriculum_ramp_steps: int = spec(2000, ge=1)
    noise_std: float = spec(
        0.0, ge=0.0, doc="Gaussian noise added to each window's first state (data units)"
    )


Config = wf.experiment_config(data=DataConfig, model=ModelConfig, objective=ObjectiveConfig)


def run(config: Config, run) -> dict:
    d, m, o = config.data, config.model, config.objective
    common = dict(num_points=d.num_points, domain_extent=d.domain_extent, dt=d.dt)
    train = jnp.asarray(
        ks_trajectories(d.num_train_trajectories, d.train_steps, seed=d.seed, **common)
    )
    test = jnp.asarray(
        ks_trajectories(d.num_test_trajectories, d.test_steps, seed=d.seed + 1_000_003, **common)
    )
    bound = 10.0 * float(jnp.max(jnp.abs(train)))
    attractor_energy = float(jnp.mean(train**2))
    summary = {
        "device": jax.devices()[0].platform,
        "steps": config.train.steps,
        "attractor_energy": attractor_energy,
        "projection_floor_nrmse": wf.projection_floor_nrmse(test, m.keep_modes, m.zero_mean),
    }
    curves, scoring = {}, (test, d.stability_steps, bound, attractor_energy)
    model_key, train_key = jr.split(jr.key(config.seed))
    for mode in o.modes:
        num_unroll = 1 if mode == "one_step" else o.num_unroll
        sampler = TrajectorySampler(
            train,
            o.batch_size,
            num_unroll,
            curriculum=(1, o.curriculum_ramp_steps) if mode == "curriculum" else None,
        )
        # the same initial weights and data stream for every objective: a paired comparison
        result = fit(
            wf.make_emulator(m, model_key),
            make_autoregressive_loss(mode, num_unroll, noise_std=o.noise_std),
            config.train,
            key=train_key,
            sampler=sampler,
            run=None if run is None or len(o.modes) > 1 else run,
        )
        scores = wf.evaluate_emulator(result.model, *scoring)
        curves[mode] = scores.pop("curve")
        summary.update({f"{mode}_{k}": v for k, v in scores.items()})
        summary[f"{mode}_train_seconds"] = wf.training_seconds(result.history)
    if run is not None:
        run.save_npz("nrmse_curves", **curves)
        run.save_figure(plot_rollout_error(curves), "nrmse")
    return summary
