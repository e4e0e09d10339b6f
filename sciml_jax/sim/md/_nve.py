"""Velocity-Verlet integration at constant energy (NVE)."""

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


def nve(energy_fn, space: AbstractSpace, dt: float):
    """Velocity Verlet, symplectic and time-reversible; energy error `O(dt^2)`.

    $$ p_{1/2} = p + \\tfrac{\\Delta t}{2} F(r), \\quad
       r' = r + \\Delta t\\, p_{1/2} / m, \\quad
       p' = p_{1/2} + \\tfrac{\\Delta t}{2} F(r') $$

    **Arguments:**

    - `energy_fn`: `energy_fn(positions, neighbors) -> scalar`, any closure.
    - `space`: the `sciml_jax.atoms` space (moves particles, updates the list).
    - `dt`: the time step.

    **Returns:** `(init_fn, apply_fn)`:
    `init_fn(key, positions, kT=None, *, masses=1.0, momenta=None, neighbors=None)`
    draws Maxwell-Boltzmann momenta at `kT` (zero net momentum; zero momenta if `kT` is
    None); `apply_fn(state) -> state` takes one step.

    ```python
    init_fn, apply_fn = nve(energy_fn, space, dt=0.005)
    state = init_fn(jr.key(0), positions, kT=1.0, neighbors=nbrs)
    state = apply_fn(state)
    ```

    Reference: Swope, Andersen, Berens, Wilson, J. Chem. Phys. 76, 637 (1982).
    """
    dt = float(dt)

    def init_fn(
        key: Key | None, positions, kT=None, *, masses=1.0, momenta=None, neighbors=None
    ) -> MDState:
        positions = check_positions(positions)
        if kT is not None and momenta is None:
            if key is None:
                raise ValueError("kT was given without a key; pass a jax.random key.")
            m = check_masses(masses, positions)
            momenta = maxwell_boltzmann(key, m, kT, positions.shape[1])
        return initial_state(energy_fn, positions, masses, momenta, neighbors)

    def apply_fn(state: MDState) -> MDState:
        momenta = state.momenta + 0.5 * dt * state.forces
        positions = space.shift(state.positions, dt * momenta / state.masses)
        return final_half_kick(state, energy_fn, space, positions, momenta, dt)

    return init_fn, apply_fn
