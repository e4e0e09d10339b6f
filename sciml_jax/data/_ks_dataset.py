"""Kuramoto-Sivashinsky trajectories on the chaotic attractor, for autoregressive emulators."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ..sim import KuramotoSivashinsky, rollout, rollout_final
from ._cache import cached_dataset, generate_in_batches

__all__ = ["ks_trajectories"]


def ks_trajectories(
    num_trajectories: int,
    num_steps: int,
    *,
    num_points: int = 256,
    domain_extent: float = 60.0,
    dt: float = 0.5,
    substeps: int = 2,
    burn_in_time: float = 100.0,
    num_initial_modes: int = 5,
    seed: int = 0,
    batch_size: int = 8,
    cache_dir=None,
    use_cache: bool = True,
) -> np.ndarray:
    """Trajectories of ``u_t + u u_x + u_xx + u_xxxx = 0`` sampled every `dt`.

    Each trajectory starts from a random sum of the lowest `num_initial_modes` Fourier
    modes, runs `burn_in_time` to reach the attractor (discarded), then saves
    `num_steps + 1` states `dt` apart. Internally the ETDRK4 stepper takes
    ``dt / substeps``.

    **Arguments:** counts, grid (`num_points`, `domain_extent` L), time step, burn-in,
    `seed`, `batch_size`, cache options.

    **Returns:** array ``(num_trajectories, num_steps + 1, 1, num_points)``.
    """
    inner_dt = dt / substeps
    burn_in_steps = round(burn_in_time / inner_dt)
    recipe = {
        "name": "ks",
        "version": 1,
        "num_trajectories": num_trajectories,
        "num_steps": num_steps,
        "num_points": num_points,
        "domain_extent": domain_extent,
        "dt": dt,
        "substeps": substeps,
        "burn_in_time": burn_in_time,
        "num_initial_modes": num_initial_modes,
        "seed": seed,
        "dtype": str(jnp.zeros(()).dtype),
    }
    stepper = KuramotoSivashinsky(1, domain_extent, num_points, inner_dt, order=4)
    x = jnp.arange(num_points) * domain_extent / num_points

    def one(key):
        ka, kp = jr.split(key)
        k = jnp.arange(1, num_initial_modes + 1)
        amplitude = jr.normal(ka, (num_initial_modes,))
        phase = jr.uniform(kp, (num_initial_modes,), maxval=2 * jnp.pi)
        u0 = jnp.sum(
            amplitude[:, None]
            * jnp.cos(2 * jnp.pi * k[:, None] * x / domain_extent + phase[:, None]),
            axis=0,
        )[None]
        u = rollout_final(stepper, u0, burn_in_steps)
        coarse = lambda v: jax.lax.fori_loop(0, substeps, lambda _, w: stepper(w), v)
        return rollout(coarse, u, num_steps)

    def build():
        keys = jr.split(jr.key(seed), num_trajectories)
        return {"u": generate_in_batches(one, keys, batch_size, desc="KS trajectories")}

    return cached_dataset(recipe, build, cache_dir=cache_dir, use_cache=use_cache)["u"]
