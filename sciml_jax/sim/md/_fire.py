"""FIRE: the fast inertial relaxation engine for energy minimisation."""

import dataclasses

import equinox as eqx
import jax.numpy as jnp

from ..._types import Array, Float
from ...atoms import AbstractSpace
from ._state import MDState, energy_and_forces, initial_state, updated_neighbors


class FireState(eqx.Module):
    """An `MDState` plus FIRE's adaptive time step, mixing factor and positive-power
    step count."""

    md: MDState
    dt: Float[Array, ""]
    alpha: Float[Array, ""]
    n_positive: Array

    @property
    def positions(self):
        return self.md.positions

    @property
    def neighbors(self):
        return self.md.neighbors

    @property
    def potential_energy(self):
        return self.md.potential_energy

    @property
    def forces(self):
        return self.md.forces


def fire_descent(
    energy_fn,
    space: AbstractSpace,
    dt_start: float = 0.1,
    dt_max: float = 0.4,
    n_min: int = 5,
    f_inc: float = 1.1,
    f_dec: float = 0.5,
    alpha_start: float = 0.1,
    f_alpha: float = 0.99,
):
    """FIRE minimisation (Bitzek et al.), jax-md's `minimize.fire_descent` parameters.

    A velocity-Verlet step, then the velocity is turned towards the force,
    `v <- (1 - alpha) v + alpha |v| F / |F|`; while the power `P = F . v` stays positive
    for more than `n_min` steps the step grows by `f_inc` (up to `dt_max`) and `alpha`
    shrinks by `f_alpha`; when `P < 0` the velocity is zeroed, `dt` shrinks by `f_dec`
    and `alpha` restarts.

    **Returns:** `(init_fn, apply_fn)`: `init_fn(positions, *, masses=1.0,
    neighbors=None) -> FireState`, `apply_fn(state) -> state`.

    Reference: Bitzek, Koskinen, Gaehler, Moseler, Gumbsch, PRL 97, 170201 (2006).
    """

    def init_fn(positions, *, masses=1.0, neighbors=None) -> FireState:
        md = initial_state(energy_fn, positions, masses, None, neighbors)
        dtype = md.positions.dtype
        return FireState(
            md, jnp.asarray(dt_start, dtype), jnp.asarray(alpha_start, dtype), jnp.int32(0)
        )

    def apply_fn(state: FireState) -> FireState:
        md, dt, alpha = state.md, state.dt, state.alpha
        m = md.masses
        v = md.momenta / m
        r = space.shift(md.positions, dt * v + 0.5 * dt**2 * md.forces / m)
        neighbors = updated_neighbors(space, md.neighbors, r)
        energy, forces = energy_and_forces(energy_fn, r, neighbors)
        v = v + 0.5 * dt * (md.forces + forces) / m
        power = jnp.sum(forces * v)
        f_norm = jnp.sqrt(jnp.sum(forces**2))
        v_norm = jnp.sqrt(jnp.sum(v**2))
        v = (1 - alpha) * v + alpha * forces * v_norm / jnp.maximum(f_norm, 1e-30)
        n_pos = jnp.where(power >= 0, state.n_positive + 1, 0)
        grow = (power > 0) & (n_pos > n_min)
        dt = jnp.where(grow, jnp.minimum(dt * f_inc, dt_max), dt)
        alpha = jnp.where(grow, alpha * f_alpha, alpha)
        dt = jnp.where(power < 0, dt * f_dec, dt)
        alpha = jnp.where(power < 0, alpha_start, alpha)
        v = jnp.where(power < 0, 0.0, v)
        md = dataclasses.replace(
            md,
            positions=r,
            momenta=v * m,
            forces=forces,
            potential_energy=energy,
            neighbors=neighbors,
        )
        return FireState(md, dt.astype(md.positions.dtype), alpha.astype(dt.dtype), n_pos)

    return init_fn, apply_fn
