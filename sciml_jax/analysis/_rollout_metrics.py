"""Rollout metrics for autoregressive emulators (roll them out with `sim.rollout`): nRMSE
per step, its geometric mean over a horizon (the APEBench score), and two long-rollout
checks: blow-up, and the energy compared with the reference attractor's (which also
catches a rollout that decays to rest)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from ._metrics import rel_l2

__all__ = [
    "nrmse_per_step",
    "geometric_mean_nrmse",
    "blowup_step",
    "energy_per_step",
]


def nrmse_per_step(
    prediction: Float[Array, "steps ..."], reference: Float[Array, "steps ..."], eps: float = 1e-12
) -> Float[Array, " steps"]:
    """Normalised RMSE at every step of one trajectory.

    $$ \\mathrm{nRMSE}_t = \\frac{\\lVert \\hat u_t - u_t \\rVert_2}{\\lVert u_t \\rVert_2} $$

    (RMSE over RMS of the reference; for a batch, `jax.vmap` and average over trajectories.)

    **Arguments:** `prediction`, `reference` of shape ``(steps, channels, *grid)``.

    **Returns:** ``(steps,)``.
    """
    if prediction.shape != reference.shape:
        raise ValueError(
            f"nrmse_per_step got prediction {prediction.shape} and reference "
            f"{reference.shape}; both must be (steps, channels, *grid)."
        )
    return jax.vmap(lambda p, r: rel_l2(p, r, eps))(prediction, reference)


def geometric_mean_nrmse(
    nrmse: Float[Array, "... steps"], horizon: int = 100
) -> Float[Array, "..."]:
    """Geometric mean of the nRMSE over the first `horizon` steps (APEBench's summary).

    $$ \\mathrm{GMean} = \\exp\\Big(\\frac1H \\sum_{t=1}^{H} \\log \\mathrm{nRMSE}_t\\Big) $$

    **Arguments:** `nrmse` with steps on the last axis (at least `horizon` of them).

    **Returns:** the geometric mean over those steps (one value per leading index).
    """
    if nrmse.shape[-1] < horizon:
        raise ValueError(
            f"geometric_mean_nrmse needs {horizon} steps, got {nrmse.shape[-1]}; roll out "
            "longer or pass a smaller horizon."
        )
    return jnp.exp(jnp.mean(jnp.log(nrmse[..., :horizon]), axis=-1))


def blowup_step(
    trajectory: Float[Array, "steps ..."], bound: float
) -> tuple[Bool[Array, ""], Int[Array, ""]]:
    """Whether a rollout left ``|u| <= bound`` (or became non-finite), and the first step.

    Use a bound well above the physical range (e.g. 10x the training data's max |u|).

    **Returns:** ``(blew_up, first_bad_step)``; ``first_bad_step`` is ``steps`` if none.
    """
    axes = tuple(range(1, trajectory.ndim))
    bad = ~jnp.all(jnp.isfinite(trajectory) & (jnp.abs(trajectory) <= bound), axis=axes)
    first = jnp.where(jnp.any(bad), jnp.argmax(bad), trajectory.shape[0])
    return jnp.any(bad), first


def energy_per_step(trajectory: Float[Array, "steps ..."]) -> Float[Array, " steps"]:
    """Mean energy of every state of a rollout.

    $$ E_t = \\frac{1}{|\\Omega_h|} \\sum_{x} u_t(x)^2 $$

    (the mean over channels and grid points). On a chaotic attractor ``E_t`` fluctuates
    around the attractor's mean energy; a stable emulator's long rollout stays within a
    modest factor of it, while a blow-up grows without bound and a rollout collapsing to
    rest (or to a steady state) drops below it.

    **Arguments:** `trajectory` of shape ``(steps, channels, *grid)``.

    **Returns:** ``(steps,)``.
    """
    if trajectory.ndim < 2:
        raise ValueError(
            f"energy_per_step got shape {trajectory.shape}; expected (steps, channels, *grid)."
        )
    return jnp.mean(trajectory**2, axis=tuple(range(1, trajectory.ndim)))
