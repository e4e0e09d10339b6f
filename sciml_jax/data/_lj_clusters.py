"""Lennard-Jones clusters in free space sampled by Langevin MD (the LJ13 data of EDM).

Many independent BAOAB chains (`sim.nvt_langevin`) start at the 13-atom Mackay
icosahedron, run a burn-in, then every `stride` steps give one frame; frames are centred
(centre of mass removed). A cluster whose atom wanders beyond `escape_radius` from the
centre has evaporated: the frames would not be samples of the bound cluster, so that
fails loudly with the fix (a lower kT).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from .._types import Array, Float, Key
from ..atoms import FreeSpace, lennard_jones
from ..sim import nvt_langevin

__all__ = ["LJ13_GLOBAL_MINIMUM", "icosahedron13", "langevin_cluster_frames", "lj_cluster_energy"]

LJ13_GLOBAL_MINIMUM = -44.326801
"""The LJ13 global minimum energy in epsilon (Mackay icosahedron; Wales & Doye 1997,
the Cambridge Cluster Database)."""


@functools.lru_cache(maxsize=8)
def lj_cluster_energy(*, sigma: float = 1.0, epsilon: float = 1.0):
    """`energy_fn(positions)`: the full Lennard-Jones sum over all pairs, no cutoff
    (the convention of cluster global-minimum tables). The same parameters return the same
    function, so compiled chains that close over it are reused."""
    return lennard_jones(
        FreeSpace(), sigma=sigma, epsilon=epsilon, r_cutoff=1e6, r_onset=0.0, truncation="none"
    )


def icosahedron13(bond: float = 1.1) -> Float[Array, "13 3"]:
    """The centred 13-atom icosahedron: a centre and 12 vertices at distance `bond`."""
    phi = (1 + np.sqrt(5)) / 2
    v = []
    for a in (-1.0, 1.0):
        for b in (-phi, phi):
            v += [(0, a, b), (a, b, 0), (b, 0, a)]
    v = np.array(v) / np.linalg.norm(v[0])
    return jnp.asarray(np.vstack([np.zeros(3), bond * v]), jnp.zeros(()).dtype)


@functools.lru_cache(maxsize=8)
def _chain_runner(energy_fn, kT, dt, gamma, burn_in, stride, frames_per_chain):
    """The compiled chains, cached: a second call with the same settings (another key,
    another escape radius) does not trace or compile again."""
    init_fn, apply_fn = nvt_langevin(lambda x, nbrs=None: energy_fn(x), FreeSpace(), dt, kT, gamma)
    step = jax.vmap(apply_fn)

    def advance(states, num_steps):
        return jax.lax.fori_loop(0, num_steps, lambda _, s: step(s), states)

    @jax.jit
    def run(keys, start):
        states = advance(jax.vmap(lambda k: init_fn(k, start))(keys), burn_in)

        def frame(states, _):
            states = advance(states, stride)
            return states, (states.positions, states.potential_energy)

        return jax.lax.scan(frame, states, None, length=frames_per_chain)[1]

    return run


def langevin_cluster_frames(
    energy_fn,
    start: Float[Array, "n d"],
    *,
    kT: float,
    key: Key,
    num_chains: int = 64,
    frames_per_chain: int = 64,
    stride: int = 400,
    burn_in: int = 4000,
    dt: float = 0.005,
    gamma: float = 1.0,
    escape_radius: float = 3.0,
) -> dict[str, np.ndarray]:
    """Decorrelated frames of a free cluster from `num_chains` vmapped BAOAB chains.

    **Arguments:** `energy_fn(positions)`, the `start` geometry, the temperature `kT`, a
    `key`; chains, frames per chain, `stride` (steps between frames: several energy
    autocorrelation times), `burn_in` steps, time step `dt`, friction `gamma`, and the
    `escape_radius` beyond which an atom counts as evaporated.

    **Returns:** a dict of numpy arrays: `positions` ``(frames, n, d)`` centred,
    `potential_energy` ``(frames,)``, `max_radius` ``(frames,)`` (farthest atom from the
    centre), `chain` ``(frames,)`` (which chain each frame came from).
    """
    if min(num_chains, frames_per_chain, stride) < 1 or burn_in < 0 or kT <= 0:
        raise ValueError(
            f"num_chains={num_chains}, frames_per_chain={frames_per_chain}, stride={stride}, "
            f"burn_in={burn_in}, kT={kT}; expected the first three >= 1, burn_in >= 0, kT > 0."
        )
    run = _chain_runner(
        energy_fn, float(kT), float(dt), float(gamma), burn_in, stride, frames_per_chain
    )
    positions, energy = run(jr.split(key, num_chains), start)  # (frames, chains, n, d)
    positions = np.asarray(positions)
    positions = positions - positions.mean(axis=2, keepdims=True)
    positions = positions.reshape(-1, *start.shape)
    radius = np.linalg.norm(positions, axis=-1).max(axis=-1)
    if not np.all(np.isfinite(positions)):
        raise ValueError(f"the MD blew up (non-finite positions) at dt={dt}; lower dt.")
    if radius.max() > escape_radius:
        raise ValueError(
            f"an atom reached {radius.max():.2f} sigma from the centre (escape_radius="
            f"{escape_radius}) at kT={kT}: the cluster evaporates; lower kT (LJ13 stays "
            "bound for long runs at kT <= 0.3)."
        )
    return {
        "positions": positions,
        "potential_energy": np.asarray(energy).reshape(-1),
        "max_radius": radius,
        "chain": np.tile(np.arange(num_chains), frames_per_chain),
    }
