"""The FNO Burgers benchmark data: ``u0 -> u(., T)`` for viscous Burgers on the unit torus."""

from __future__ import annotations

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ..sim import BurgersStepper, rollout_final
from ._cache import cached_dataset, generate_in_batches
from ._grf import GaussianRandomField

__all__ = ["burgers_dataset"]


def burgers_dataset(
    num_samples: int,
    *,
    resolution: int = 1024,
    solve_points: int = 8192,
    viscosity: float = 0.1,
    final_time: float = 1.0,
    dt: float = 1e-3,
    sigma: float = 25.0,
    tau: float = 5.0,
    gamma: float = 2.0,
    grf_modes: int = 1024,
    zero_mean: bool = True,
    seed: int = 0,
    batch_size: int = 16,
    cache_dir=None,
    use_cache: bool = True,
) -> dict[str, np.ndarray]:
    """Pairs ``(u0, u(., T))`` of the 1D viscous Burgers equation (Li et al. 2021).

    $$ u_t + u u_x = \\nu u_{xx}, \\quad x \\in [0, 1)\\ \\text{periodic}, \\qquad
       u_0 \\sim \\mathcal N(0, 625(-\\Delta + 25 I)^{-2}) $$

    Solved by the ETDRK4 spectral stepper of `sciml_jax.sim.Burgers` at `solve_points`
    (8192 in the paper) and subsampled to `resolution` grid points ``x_j = j/resolution``.
    Since ``nu = 0.1`` the solution is smooth, so the subsampled values are exact to solver
    tolerance at every coarser resolution: use ``a[..., ::k]`` for resolution / k.

    **Arguments:**

    - `num_samples`: pairs to generate.
    - `resolution`: stored grid size (must divide `solve_points`).
    - `solve_points`, `viscosity`, `final_time`, `dt`: the solve.
    - `sigma`, `tau`, `gamma`: the GRF of the initial condition (``sigma^2 = 625``).
    - `grf_modes`: Fourier modes of the initial condition (at most `solve_points`).
    - `zero_mean`: drop the constant mode of ``u0``, as Li et al.'s generator does
      (``GRF1(..., m=0, ...)``). Without it, ``u0`` has a random mean of standard deviation
      ``sigma / tau^gamma = 1``; Burgers is Galilean invariant, so ``u(., T)`` is then the
      zero-mean solution translated by ``mean * T``, a far harder operator to learn.
    - `seed`, `batch_size`: randomness and vmapped solves per jitted call.
    - `cache_dir`, `use_cache`: see `cached_dataset`.

    **Returns:** dict with ``a`` (initial condition) and ``u`` (solution at T), each of
    shape ``(num_samples, 1, resolution)``, and ``x`` of shape ``(resolution,)``.
    """
    if solve_points % resolution:
        raise ValueError(
            f"resolution={resolution} must divide solve_points={solve_points} (the data are "
            "subsampled); choose e.g. resolution=1024 with solve_points=8192."
        )
    if grf_modes > solve_points:
        raise ValueError(
            f"grf_modes={grf_modes} exceeds solve_points={solve_points}; "
            "solve on at least as many points as the field has modes."
        )
    num_steps = round(final_time / dt)
    if abs(num_steps * dt - final_time) > 1e-9 * final_time:
        raise ValueError(f"final_time={final_time} is not a multiple of dt={dt}.")
    recipe = {
        "name": "burgers",
        "version": 2,
        "num_samples": num_samples,
        "resolution": resolution,
        "solve_points": solve_points,
        "viscosity": viscosity,
        "final_time": final_time,
        "dt": dt,
        "sigma": sigma,
        "tau": tau,
        "gamma": gamma,
        "grf_modes": grf_modes,
        "zero_mean": zero_mean,
        "seed": seed,
        "dtype": str(jnp.zeros(()).dtype),
    }
    # A fixed mode count makes u0 the same function whatever solve_points is; with 1024
    # modes (|k| < 512) the dropped tail has lambda_512 / lambda_1 ~ 1e-10.
    grf = GaussianRandomField(
        1,
        solve_points,
        sigma=sigma,
        tau=tau,
        gamma=gamma,
        num_modes=grf_modes,
        zero_mean=zero_mean,
    )
    stepper = BurgersStepper(1, 1.0, solve_points, dt, diffusivity=viscosity, order=4)
    stride = solve_points // resolution

    def one(key):
        u0 = grf(key)[None]
        u1 = rollout_final(stepper, u0, num_steps)
        return u0[:, ::stride], u1[:, ::stride]

    def build():
        keys = jr.split(jr.key(seed), num_samples)
        a, u = generate_in_batches(one, keys, batch_size, desc="Burgers dataset")
        return {"a": a, "u": u, "x": np.arange(resolution) / resolution}

    return cached_dataset(recipe, build, cache_dir=cache_dir, use_cache=use_cache)
