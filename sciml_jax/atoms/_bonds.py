"""Bonded energies over an explicit bond list: harmonic and Gaussian wells.

`bonds` is an `(M, 2)` integer array of particle pairs; parameters are scalars or `(M,)`
per bond. Bond vectors use the space's minimum image (bonds are shorter than half the
cell). The returned `energy_fn(positions, neighbors=None, *, space=None)` ignores
`neighbors`, so it adds to a pair energy: `lambda r, nl, **kw: e1(r, nl, **kw) + e2(r, nl, **kw)`.
"""

import jax
import jax.numpy as jnp
import numpy as np

from ._energies import check_positions
from ._space import AbstractSpace


def _bond_energy(space, bonds, u, check_finite):
    bonds = np.asarray(bonds)
    if bonds.ndim != 2 or bonds.shape[1] != 2 or not np.issubdtype(bonds.dtype, np.integer):
        raise ValueError(
            f"bonds has shape {bonds.shape} and dtype {bonds.dtype}; expected (M, 2) integer "
            "particle indices."
        )
    if np.any(bonds[:, 0] == bonds[:, 1]):
        raise ValueError("a bond joins a particle to itself; remove rows with i == j.")
    default_space = space
    i, j = jnp.asarray(bonds[:, 0]), jnp.asarray(bonds[:, 1])
    n_needed = int(bonds.max()) + 1 if bonds.size else 0

    def energy_fn(positions, neighbors=None, *, space=None):
        space = default_space if space is None else space
        positions = check_positions(jnp.asarray(positions), space, check_finite=check_finite)
        if positions.shape[0] < n_needed:
            raise ValueError(
                f"bonds refer to particle {n_needed - 1} but there are {positions.shape[0]} "
                "positions."
            )
        vectors = jax.vmap(space.displacement)(positions[j], positions[i])
        r2 = jnp.sum(vectors**2, axis=-1)
        # coincident bonded particles: r = 0 with a zero (not NaN) gradient
        r = jnp.where(r2 > 0, jnp.sqrt(jnp.where(r2 > 0, r2, 1.0)), 0.0)
        return jnp.sum(u(r))

    return energy_fn


def harmonic_bond(space: AbstractSpace, bonds, *, k=1.0, r0=1.0, check_finite: bool = True):
    """Harmonic springs: `U = sum_b k_b/2 (r_b - r0_b)^2` (jax-md's `simple_spring`, alpha=2).

    A dimer of reduced mass `mu` vibrates at `omega = sqrt(k / mu)`.
    """
    k, r0 = jnp.asarray(k), jnp.asarray(r0)
    return _bond_energy(space, bonds, lambda r: 0.5 * k * (r - r0) ** 2, check_finite)


def gaussian_bond(space: AbstractSpace, bonds, *, D=1.0, r0=1.0, w=0.2, check_finite: bool = True):
    """Gaussian wells: `U = -sum_b D_b exp(-(r_b - r0_b)^2 / (2 w_b^2))`.

    The well has depth `D`, minimum at `r0` and curvature `U''(r0) = D / w^2` (the bond
    stiffness), so a dimer of reduced mass `mu` vibrates at `omega = sqrt(D / (w^2 mu))`
    for small amplitudes.
    """
    D, r0, w = jnp.asarray(D), jnp.asarray(r0), jnp.asarray(w)
    return _bond_energy(
        space, bonds, lambda r: -D * jnp.exp(-((r - r0) ** 2) / (2 * w**2)), check_finite
    )
