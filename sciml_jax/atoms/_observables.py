"""Observables of one frame (kinetic energy, temperature, pressure, g(r)) and of an
unwrapped trajectory (mean-square displacement). Pure functions of one frame: `jax.vmap`
them over a stack of frames.
"""

import jax.numpy as jnp
import numpy as np

from .._types import Array, Float
from ._energies import pair_geometry, stress
from ._space import PeriodicSpace


def _masses(masses, n, dtype):
    masses = jnp.asarray(masses, dtype=dtype)
    if masses.ndim == 0:
        return jnp.full((n,), masses)
    if masses.shape != (n,):
        raise ValueError(f"masses has shape {masses.shape}; expected a scalar or ({n},).")
    return masses


def kinetic_energy(velocities: Float[Array, "n d"], masses=1.0) -> Float[Array, ""]:
    """`KE = 1/2 sum_i m_i |v_i|^2`."""
    m = _masses(masses, velocities.shape[0], velocities.dtype)
    return 0.5 * jnp.sum(m[:, None] * velocities**2)


def degrees_of_freedom(n_particles: int, dimension: int, *, remove_momentum: bool = True):
    """`d N - d` when the net momentum is fixed at zero (the default), else `d N`."""
    return dimension * n_particles - (dimension if remove_momentum else 0)


def temperature(velocities: Float[Array, "n d"], masses=1.0, *, dof: int | None = None):
    """The kinetic temperature `k_B T = 2 KE / dof` (energy units).

    `dof` defaults to `d N - d` (zero net momentum, as after Maxwell-Boltzmann
    initialisation with the drift removed, conserved by NVE).
    """
    n, d = velocities.shape
    dof = degrees_of_freedom(n, d) if dof is None else dof
    return 2 * kinetic_energy(velocities, masses) / dof


def kinetic_stress(velocities, masses, volume) -> Float[Array, "d d"]:
    """The ideal-gas part of the stress, `-(1/V) sum_i m_i v_i v_i^T` (ASE's sign)."""
    m = _masses(masses, velocities.shape[0], velocities.dtype)
    return -jnp.einsum("i,ia,ib->ab", m, velocities, velocities) / volume


def pressure(
    energy_fn,
    space: PeriodicSpace,
    positions,
    neighbors=None,
    *,
    velocities=None,
    masses=1.0,
) -> Float[Array, ""]:
    """The virial pressure `P = (2 KE - Tr W) / (d V)`, `W = dE/d(strain)`.

    Equivalently `P = -Tr(sigma) / d` with `sigma` the potential stress of `stress` plus
    `kinetic_stress`; without `velocities` only the configurational part.
    """
    sigma = stress(energy_fn, space, positions, neighbors)
    if velocities is not None:
        sigma = sigma + kinetic_stress(velocities, masses, space.volume)
    return -jnp.trace(sigma) / space.dimension


def _shell_volumes(edges, d):
    if d == 3:
        return 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    if d == 2:
        return np.pi * (edges[1:] ** 2 - edges[:-1] ** 2)
    return 2.0 * (edges[1:] - edges[:-1])


def radial_distribution(
    positions: Float[Array, "n d"],
    space: PeriodicSpace,
    *,
    r_max: float,
    bins: int = 100,
    neighbors=None,
):
    """`(r, g)`: the radial distribution function on `bins` shells up to `r_max`.

    $$ g(r) = \\frac{V}{N (N-1)} \\frac{2\\,n(r)}{V_{\\text{shell}}(r)} $$

    with `n(r)` the number of unordered pairs in the shell, so an ideal gas has
    `g = 1`. Pairs come from a `NeighborList` (cutoff at least `r_max`) or, with
    `neighbors=None`, from all pairs by the minimum image (`r_max` at most half the
    smallest cell width). `r` are the shell centres.
    """
    if not isinstance(space, PeriodicSpace):
        raise ValueError("radial_distribution needs a PeriodicSpace (a volume to normalise by).")
    if neighbors is not None and neighbors.cutoff < r_max:
        raise ValueError(
            f"the list's cutoff {neighbors.cutoff} is below r_max={r_max}; build it with a "
            "cutoff of at least r_max."
        )
    n, d = positions.shape
    vectors, _, _, weight = pair_geometry(space, positions, neighbors, float(r_max))
    r = jnp.sqrt(jnp.sum(vectors**2, axis=-1))
    edges = np.linspace(0.0, float(r_max), bins + 1)
    index = jnp.floor(r / (r_max / bins)).astype(jnp.int32)
    inside = (weight > 0) & (index < bins)
    counts = (
        jnp.zeros(bins, positions.dtype)
        .at[jnp.where(inside, index, 0)]
        .add(jnp.where(inside, weight, 0.0))
    )
    shells = jnp.asarray(_shell_volumes(edges, d), positions.dtype)
    g = space.volume / (n * (n - 1)) * 2 * counts / shells
    centres = jnp.asarray(0.5 * (edges[1:] + edges[:-1]), positions.dtype)
    return centres, g


def mean_square_displacement(trajectory: Float[Array, "t n d"]) -> Float[Array, " t"]:
    """`MSD(t) = <|r_i(t) - r_i(0)|^2>_i` over unwrapped positions, one value per frame.

    For diffusion `MSD ~ 2 d D t` at long times. Positions must be unwrapped (as this
    package's integrators keep them); wrapped ones give jumps at the cell faces.
    """
    if trajectory.ndim != 3:
        raise ValueError(f"trajectory has shape {trajectory.shape}; expected (frames, N, d).")
    return jnp.mean(jnp.sum((trajectory - trajectory[0]) ** 2, axis=-1), axis=-1)
