"""Autoregressive emulators of Kuramoto-Sivashinsky: one-step vs unrolled training, scored
by the geometric-mean nRMSE of 100-step rollouts (APEBench) and a 2000-step stability check
(no blow-up, and the rollout's energy within a factor of the attractor's).

Stabilisers (settings, off unless the config turns them on): `model.keep_modes` projects
every predicted state onto the wavenumbers the data carries, `model.zero_mean` keeps the
spatial mean (a KS invariant, zero in the data) exactly zero, `objective.noise_std` trains
on noisy inputs. The summary reports `projection_floor_nrmse`, the nRMSE the projection
alone causes on the test data, so its cost is visible."""

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax.analysis import (
    blowup_step,
    energy_per_step,
    geometric_mean_nrmse,
    nrmse_per_step,
)
from sciml_jax.config import RunConfig, spec
from sciml_jax.data import ks_trajectories
from sciml_jax.losses import make_autoregressive_loss
from sciml_jax.nn import FNO, DilatedResNet, ResidualEmulator, UNet
from sciml_jax.ops import project_modes
from sciml_jax.sampling import TrajectorySampler
from sciml_jax.sim import rollout
from sciml_jax.train import fit

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


@dataclass(frozen=True)
class Config(RunConfig):
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)


def make_emulator(config: ModelConfig, key):
    if config.architecture == "fno":
        # no grid channels: the emulator must commute with periodic shifts, as KS does
        net = FNO(
            1,
            1,
            width=config.width,
            modes=config.modes,
            num_layers=config.num_layers,
            append_grid=False,
            key=key,
        )
    elif config.architecture == "unet":
        net = UNet(1, 1, hidden_channels=config.width, num_levels=config.num_layers, key=key)
    else:
        net = DilatedResNet(
            1, 1, hidden_channels=config.width, num_blocks=config.num_layers, key=key
        )
    return ResidualEmulator(net, keep_modes=config.keep_modes, zero_mean=config.zero_mean)


def evaluate_emulator(
    model, test, stability_steps: int, bound: float, attractor_energy: float
) -> dict:
    """nRMSE per step on the test trajectories, its geometric mean, and the long-rollout
    checks: blow-up (non-finite or |u| > bound) and the energy relative to the attractor's
    (largest over all steps, and the mean over the last `test.shape[1] - 1` steps)."""
    steps = test.shape[1] - 1
    predict = jax.jit(jax.vmap(lambda u0: rollout(model, u0, steps)[1:]))
    nrmse = jax.vmap(nrmse_per_step)(predict(test[:, 0]), test[:, 1:])  # (traj, steps)
    mean_nrmse = jnp.mean(nrmse, axis=0)
    long = jax.jit(jax.vmap(lambda u0: rollout(model, u0, stability_steps)[1:]))
    long_rollouts = long(test[:, 0])
    blew_up, first_bad = jax.vmap(lambda t: blowup_step(t, bound))(long_rollouts)
    energy = jax.vmap(energy_per_step)(long_rollouts) / attractor_energy  # (traj, steps)
    late = jnp.mean(energy[:, -min(steps, stability_steps) :], axis=1)
    return {
        "gmean_nrmse_100": float(jnp.mean(geometric_mean_nrmse(nrmse, 100))),
        "nrmse_step1": float(mean_nrmse[0]),
        "nrmse_step100": float(mean_nrmse[99]),
        f"nrmse_step{steps}": float(mean_nrmse[-1]),
        "blowup_fraction": float(jnp.mean(blew_up)),
        "first_blowup_step": int(jnp.min(first_bad)),
        # nan (a blown-up rollout) compares as neither small nor large: report it as inf
        "energy_ratio_max": float(jnp.nan_to_num(jnp.max(energy), nan=jnp.inf)),
        "energy_ratio_late_min": float(jnp.nan_to_num(jnp.min(late), nan=jnp.inf)),
        "energy_ratio_late_max": float(jnp.nan_to_num(jnp.max(late), nan=jnp.inf)),
        "curve": mean_nrmse,
    }


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
    projected = jax.vmap(jax.vmap(lambda u: project_modes(u, m.keep_modes, m.zero_mean)))(test)
    floor = jax.vmap(nrmse_per_step)(projected, test)
    summary = {
        "device": jax.devices()[0].platform,
        "steps": config.train.steps,
        "attractor_energy": attractor_energy,
        "projection_floor_nrmse": float(jnp.max(floor)),
    }
    curves = {}
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
            make_emulator(m, model_key),
            make_autoregressive_loss(mode, num_unroll, noise_std=o.noise_std),
            config.train,
            key=train_key,
            sampler=sampler,
            run=None if run is None or len(o.modes) > 1 else run,
        )
        scores = evaluate_emulator(result.model, test, d.stability_steps, bound, attractor_energy)
        curves[mode] = scores.pop("curve")
        summary.update({f"{mode}_{k}": v for k, v in scores.items()})
        starts = [0] + [r["step"] for r in result.history[:-1]]
        summary[f"{mode}_train_seconds"] = sum(
            (r["step"] - s0) / r["steps_per_s"]
            for s0, r in zip(starts, result.history, strict=True)
        )
    if run is not None:
        run.save_npz("nrmse_curves", **{k: v for k, v in curves.items()})
        run.save_figure(_figure(curves), "nrmse")
    return summary


def _figure(curves):
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for mode, curve in curves.items():
        axis.semilogy(jnp.arange(1, curve.shape[0] + 1), curve, label=mode)
    axis.set_xlabel("rollout step")
    axis.set_ylabel("nRMSE")
    axis.legend()
    return figure
