"""The explicit state of a particle simulation, and Maxwell-Boltzmann momenta.

Integrators here follow jax-md's function pairs: `nve(energy_fn, space, dt)` returns
`(init_fn, apply_fn)`, `init_fn` makes an `MDState`, `apply_fn(state) -> state` takes one
step. `energy_fn(positions, neighbors)` is any closure returning a scalar (a classical
potential from `sciml_jax.atoms`, or a learned model: `sim` never imports `nn`); forces
are `-jax.grad`. The neighbour list travels in the state and is updated inside the step,
after the drift and before the forces, so forces always see a list valid at the new
positions; its `overflow` flag travels with it for the driver to act on.
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from ..._types import Array, Float, Key
from ...atoms import AbstractSpace, NeighborList, update
from ...atoms import energy_and_forces as atoms_energy_and_forces


class MDState(eqx.Module):
    """Positions, momenta, forces and masses of `N` particles (`(N, d)`, masses `(N, 1)`).

    `potential_energy` is the energy at `positions` (from the same pass as the forces),
    `neighbors` the list kept valid at `positions` (None without one), `key` the PRNG
    key of stochastic integrators (None otherwise).
    """

    positions: Float[Array, "n d"]
    momenta: Float[Array, "n d"]
    forces: Float[Array, "n d"]
    masses: Float[Array, "n 1"]
    potential_energy: Float[Array, ""]
    neighbors: NeighborList | None = None
    key: Key | None = None

    @property
    def velocities(self) -> Float[Array, "n d"]:
        return self.momenta / self.masses

    @property
    def kinetic_energy(self) -> Float[Array, ""]:
        return 0.5 * jnp.sum(self.momenta**2 / self.masses)

    @property
    def temperature(self) -> Float[Array, ""]:
        """`kT = 2 K / (d N)` (jax-md's `quantity.temperature`: every degree of freedom)."""
        return 2.0 * self.kinetic_energy / self.positions.size


def check_masses(masses, positions) -> Float[Array, "n 1"]:
    """Masses as `(N, 1)`: a scalar or one per particle; a `ValueError` otherwise."""
    masses = jnp.asarray(masses, dtype=positions.dtype)
    n = positions.shape[0]
    if masses.ndim == 0:
        return jnp.full((n, 1), masses, positions.dtype)
    if masses.shape in ((n,), (n, 1)):
        return masses.reshape(n, 1)
    raise ValueError(
        f"masses have shape {masses.shape} but there are {n} positions; give a scalar or "
        f"one mass per particle, shape ({n},)."
    )


def check_positions(positions) -> Float[Array, "n d"]:
    positions = jnp.asarray(positions)
    if positions.ndim != 2:
        raise ValueError(f"positions have shape {positions.shape}; expected (N, d).")
    if not jnp.issubdtype(positions.dtype, jnp.floating):
        positions = positions.astype(float)
    if not isinstance(positions, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(positions))):
        raise ValueError("positions contain NaN or inf; give finite initial positions.")
    return positions


def maxwell_boltzmann(
    key: Key, masses: Float[Array, "n 1"], kT: float, dimension: int
) -> Float[Array, "n d"]:
    """Momenta drawn from `exp(-p^2 / (2 m kT))`, with the total momentum removed.

    $$ p_{ia} \\sim \\mathcal N(0, m_i kT), \\qquad
       p_i \\leftarrow p_i - \\frac{m_i}{\\sum_j m_j} \\sum_j p_j $$

    so the centre of mass stays at rest (the drawn temperature is then `kT (N-1)/N` on
    average: the removed degrees of freedom carried the rest).
    """
    p = jnp.sqrt(masses * kT) * jr.normal(key, (masses.shape[0], dimension), masses.dtype)
    return p - masses * jnp.sum(p, axis=0) / jnp.sum(masses)


def energy_and_forces(energy_fn, positions, neighbors):
    """`(E, -grad E)`: the energy's fused pass when it has one (the pair potentials of
    `sciml_jax.atoms`), else `jax.value_and_grad` (any closure, a learned model)."""
    return atoms_energy_and_forces(energy_fn, positions, neighbors)


def updated_neighbors(space: AbstractSpace, neighbors, positions):
    return None if neighbors is None else update(neighbors, space, positions)


def final_half_kick(state, energy_fn, space: AbstractSpace, positions, momenta, dt, **changes):
    """The last stage velocity Verlet and BAOAB share: the list and the forces at the new
    positions, then the second half kick `p' = p + dt/2 F(r')`."""
    neighbors = updated_neighbors(space, state.neighbors, positions)
    energy, forces = energy_and_forces(energy_fn, positions, neighbors)
    return dataclasses.replace(
        state,
        positions=positions,
        momenta=momenta + 0.5 * dt * forces,
        forces=forces,
        potential_energy=energy,
        neighbors=neighbors,
        **changes,
    )


def initial_state(energy_fn, positions, masses, momenta, neighbors, key=None) -> MDState:
    positions = check_positions(positions)
    masses = check_masses(masses, positions)
    if momenta is None:
        momenta = jnp.zeros_like(positions)
    momenta = jnp.asarray(momenta, positions.dtype)
    if momenta.shape != positions.shape:
        raise ValueError(
            f"momenta have shape {momenta.shape}, positions {positions.shape}; they must match."
        )
    if neighbors is not None and neighbors.reference_positions.shape != positions.shape:
        raise ValueError(
            f"the neighbour list was built for {neighbors.reference_positions.shape[0]} "
            f"particles, positions have {positions.shape[0]}; build it at these positions."
        )
    energy, forces = energy_and_forces(energy_fn, positions, neighbors)
    return MDState(positions, momenta, forces, masses, energy, neighbors, key)
