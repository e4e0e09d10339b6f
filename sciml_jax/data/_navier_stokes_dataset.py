"""The FNO 2D Navier-Stokes benchmark data: vorticity on the unit torus."""

from __future__ import annotations

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ..sim import NavierStokesVorticity, rollout
from ._cache import cached_dataset, generate_in_batches
from ._grf import GaussianRandomField

__all__ = ["navier_stokes_dataset", "li_forcing"]


def li_forcing(num_points: int) -> jnp.ndarray:
    """``f(x, y) = 0.1 (sin 2 pi (x + y) + cos 2 pi (x + y))`` on the unit torus, ``(1, n, n)``."""
    x = jnp.arange(num_points) / num_points
    s = x[:, None] + x[None, :]
    return (0.1 * (jnp.sin(2 * jnp.pi * s) + jnp.cos(2 * jnp.pi * s)))[None]


def navier_stokes_dataset(
    num_samples: int,
    *,
    resolution: int = 64,
    solve_points: int = 64,
    viscosity: float = 1e-3,
    final_time: float = 50.0,
    save_dt: float = 1.0,
    dt: float = 1e-2,
    seed: int = 0,
    batch_size: int = 8,
    cache_dir=None,
    use_cache: bool = True,
) -> np.ndarray:
    """Vorticity trajectories ``w(., t)``, ``t = 0, save_dt, ..., final_time``.

    $$ \\partial_t w + u \\cdot \\nabla w = \\nu \\Delta w + f, \\quad
       w_0 \\sim \\mathcal N(0, 7^{3}(-\\Delta + 49 I)^{-2.5}) $$

    on the unit torus with ``f = 0.1 (sin 2 pi (x + y) + cos 2 pi (x + y))`` (Li et al.
    2021; the GRF amplitude follows their released generator, ``sigma = 7^{3/2}``), solved
    by the pseudo-spectral ETDRK stepper `sciml_jax.sim.NavierStokesVorticity` at
    `solve_points^2` and subsampled to `resolution^2` (the paper solves at 256^2 with
    ``dt = 1e-4`` Crank-Nicolson; ETDRK integrates viscosity exactly, so a larger `dt`
    is accurate here).

    **Returns:** array ``(num_samples, num_saves + 1, 1, resolution, resolution)``.
    """
    if solve_points % resolution:
        raise ValueError(f"resolution={resolution} must divide solve_points={solve_points}.")
    steps_per_save = round(save_dt / dt)
    num_saves = round(final_time / save_dt)
    if abs(steps_per_save * dt - save_dt) > 1e-9 or abs(num_saves * save_dt - final_time) > 1e-9:
        raise ValueError(
            f"save_dt={save_dt} must be a multiple of dt={dt} and divide final_time={final_time}."
        )
    recipe = {
        "name": "navier_stokes",
        "version": 1,
        "num_samples": num_samples,
        "resolution": resolution,
        "solve_points": solve_points,
        "viscosity": viscosity,
        "final_time": final_time,
        "save_dt": save_dt,
        "dt": dt,
        "seed": seed,
        "dtype": str(jnp.zeros(()).dtype),
    }
    grf = GaussianRandomField(
        2, solve_points, sigma=7.0**1.5, tau=7.0, gamma=2.5, num_modes=min(solve_points, 64)
    )
    stepper = NavierStokesVorticity(
        1.0, solve_points, dt, diffusivity=viscosity, forcing=li_forcing(solve_points), order=2
    )
    stride = solve_points // resolution

    def one(key):
        w0 = grf(key)[None]
        trajectory = rollout(stepper, w0, steps_per_save * num_saves, save_every=steps_per_save)
        return trajectory[..., ::stride, ::stride]

    def build():
        keys = jr.split(jr.key(seed), num_samples)
        return {"w": generate_in_batches(one, keys, batch_size, desc="Navier-Stokes dataset")}

    return cached_dataset(recipe, build, cache_dir=cache_dir, use_cache=use_cache)["w"]
