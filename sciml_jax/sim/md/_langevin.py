"""Langevin dynamics at constant temperature (NVT) by BAOAB splitting."""

import math

import jax.numpy as jnp
import jax.random as jr

from ..._types import Key
from ...atoms import AbstractSpace
from ._state import (
    MDState,
    check_masses,
    check_positions,
    final_half_kick,
    initial_state,
    maxwell_boltzmann,
)


def nvt_langevin(energy_fn, space: AbstractSpace, dt: float, kT: float, gamma: float = 0.1):
    """Underdamped Langevin dynamics, BAOAB splitting (Leimkuhler and Matthews).

    $$ dr = \\frac{p}{m} dt, \\qquad dp = F\\,dt - \\gamma p\\,dt
       + \\sqrt{2 \\gamma m kT}\\, dW $$

    One step is B (half kick), A (half drift), O (the exact Ornstein-Uhlenbeck update
    `p <- c p + sqrt((1 - c^2) m kT) xi`, `c = exp(-gamma dt)`), A, B; configurational
    averages are exact to `O(dt^2)` and very accurate at moderate `dt`.

    **Arguments:** `energy_fn(positions, neighbors)`, `space`, `dt`, the target `kT` and
    the friction `gamma` (1 / time; jax-md's default 0.1).

    **Returns:** `(init_fn, apply_fn)`:
    `init_fn(key, positions, *, masses=1.0, momenta=None, neighbors=None)` (momenta
    default to Maxwell-Boltzmann at `kT`; `key` also drives the noise);
    `apply_fn(state) -> state`.

    Reference: Leimkuhler and Matthews, Appl. Math. Res. Express 2013, 34 (2013).
    """
    dt, kT, gamma = float(dt), float(kT), float(gamma)
    if kT < 0 or gamma < 0:
        raise ValueError(f"kT={kT} and gamma={gamma} must be >= 0.")
    c1 = math.exp(-gamma * dt)
    c2 = math.sqrt(1.0 - c1 * c1)

    def init_fn(key: Key, positions, *, masses=1.0, momenta=None, neighbors=None) -> MDState:
        positions = check_positions(positions)
        key, draw = jr.split(key)
        if momenta is None:
            m = check_masses(masses, positions)
            momenta = maxwell_boltzmann(draw, m, kT, positions.shape[1])
        return initial_state(energy_fn, positions, masses, momenta, neighbors, key)

    def apply_fn(state: MDState) -> MDState:
        key, noise = jr.split(state.key)
        m = state.masses
        p = state.momenta + 0.5 * dt * state.forces
        r = space.shift(state.positions, 0.5 * dt * p / m)
        xi = jr.normal(noise, p.shape, p.dtype)
        p = c1 * p + c2 * jnp.sqrt(m * kT) * xi
        r = space.shift(r, 0.5 * dt * p / m)
        return final_half_kick(state, energy_fn, space, r, p, dt, key=key)

    return init_fn, apply_fn
