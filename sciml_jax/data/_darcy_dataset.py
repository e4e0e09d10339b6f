"""The FNO Darcy benchmark data: piecewise-constant permeability -> pressure."""

from __future__ import annotations

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ..sim import DarcySolver
from ._cache import cached_dataset, generate_in_batches
from ._grf import GaussianRandomField

__all__ = ["darcy_dataset"]


def darcy_dataset(
    num_samples: int,
    *,
    resolution: int = 85,
    solve_points: int = 421,
    high: float = 12.0,
    low: float = 3.0,
    tau: float = 3.0,
    gamma: float = 2.0,
    zero_mean: bool = True,
    seed: int = 0,
    batch_size: int = 8,
    cache_dir=None,
    use_cache: bool = True,
) -> dict[str, np.ndarray]:
    """Pairs ``(a, u)`` of ``-div(a grad u) = 1`` on the unit square, ``u = 0`` on the walls.

    $$ a = 12\\ \\text{where}\\ \\psi \\ge 0,\\ 3\\ \\text{elsewhere}, \\qquad
       \\psi \\sim \\mathcal N(0, (-\\Delta + 9 I)^{-2})\\ \\text{(Neumann)} $$

    (Li et al. 2021). Solved by `sciml_jax.sim.DarcySolver` (five-point flux scheme,
    harmonic face averages, preconditioned CG) on ``solve_points^2`` nodes and subsampled to
    ``resolution^2`` (421 -> 85 takes every 5th node, as in the paper).

    **Arguments:** counts and grids (``(solve_points - 1)`` must be a multiple of
    ``(resolution - 1)``), the two permeability values, the GRF parameters, `zero_mean`,
    `seed`, `batch_size`, cache options. `zero_mean` (default, as Li et al.'s generator)
    drops the constant mode of ``psi``; kept, that mode carries more than half
    of the variance and the high-permeability fraction of a sample ranges from ~0 to ~1
    instead of clustering around one half.

    **Returns:** dict with ``a`` and ``u`` of shape ``(num_samples, 1, resolution, resolution)``.
    """
    if (solve_points - 1) % (resolution - 1):
        raise ValueError(
            f"solve_points={solve_points} cannot be subsampled to resolution={resolution}: "
            "(solve_points - 1) must be a multiple of (resolution - 1), e.g. 421 -> 85, "
            "169 -> 85 or 85 -> 85."
        )
    stride = (solve_points - 1) // (resolution - 1)
    recipe = {
        "name": "darcy",
        "version": 2,
        "num_samples": num_samples,
        "resolution": resolution,
        "solve_points": solve_points,
        "high": high,
        "low": low,
        "tau": tau,
        "gamma": gamma,
        "zero_mean": zero_mean,
        "seed": seed,
        "dtype": str(jnp.zeros(()).dtype),
    }
    # The sign of psi is all that matters; modes beyond 128 per axis change < 1e-6 of it.
    grf = GaussianRandomField(
        2,
        solve_points,
        sigma=1.0,
        tau=tau,
        gamma=gamma,
        boundary="neumann",
        num_modes=min(solve_points, 128),
        zero_mean=zero_mean,
    )
    solver = DarcySolver(solve_points)
    source = jnp.ones((solve_points, solve_points))

    def one(key):
        a = jnp.where(grf(key) >= 0, high, low)
        u = solver(a, source)
        return a[None, ::stride, ::stride], u[None, ::stride, ::stride]

    def build():
        keys = jr.split(jr.key(seed), num_samples)
        a, u = generate_in_batches(one, keys, batch_size, desc="Darcy dataset")
        return {"a": a, "u": u}

    return cached_dataset(recipe, build, cache_dir=cache_dir, use_cache=use_cache)
