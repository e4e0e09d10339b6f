"""Autoregressive emulators from a config, scored by rollouts (APEBench's protocol)."""

import jax
import jax.numpy as jnp

from ..analysis import blowup_step, energy_per_step, geometric_mean_nrmse, nrmse_per_step
from ..nn import FNO, DilatedResNet, ResidualEmulator, UNet
from ..ops import project_modes
from ..sim import rollout


def make_emulator(config, key) -> ResidualEmulator:
    """A residual emulator `u -> u + net(u)` on the `config.architecture` network
    (`fno`, `unet`, `dilated_resnet`), with the config's width, modes, layers and
    stabilisers (`keep_modes`, `zero_mean`)."""
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
    (largest over all steps, and the mean over the last `test.shape[1] - 1` steps).

    **Returns:** the scores, and `curve`, the mean nRMSE per step.
    """
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


def training_seconds(history: list[dict]) -> float:
    """Wall time of the logged training steps, from each record's steps per second."""
    starts = [0] + [record["step"] for record in history[:-1]]
    return sum(
        (record["step"] - start) / record["steps_per_s"]
        for start, record in zip(starts, history, strict=True)
    )


def projection_floor_nrmse(test, keep_modes: int | None, zero_mean: bool) -> float:
    """The largest nRMSE that projecting the test states alone causes (`ops.project_modes`
    onto `|k| < keep_modes`, the mean removed with `zero_mean`): the floor an emulator with
    those stabilisers cannot go below."""
    projected = jax.vmap(jax.vmap(lambda u: project_modes(u, keep_modes, zero_mean)))(test)
    return float(jnp.max(jax.vmap(nrmse_per_step)(projected, test)))
