r"""Equations of state $E(V)$: the Birch–Murnaghan form and what is read off a fitted one."""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike


def birch_murnaghan(volume: ArrayLike, e0, v0, b0, b0_prime) -> Array:
    r"""The third-order Birch–Murnaghan equation of state.

    $E(V) = E_0 + \frac{9 V_0 B_0}{16}\{(\eta - 1)^3 B_0' + (\eta - 1)^2 (6 - 4\eta)\}$,
    $\eta = (V_0/V)^{2/3}$: energy `e0` and bulk modulus `b0` (with pressure derivative
    `b0_prime`) at the equilibrium volume `v0`.

    **Reference:** F. Birch, "Finite elastic strain of cubic crystals", Phys. Rev. 71 (1947).
    """
    eta = (v0 / volume) ** (2.0 / 3.0)
    return e0 + 9.0 * v0 * b0 / 16.0 * ((eta - 1) ** 3 * b0_prime + (eta - 1) ** 2 * (6 - 4 * eta))


def eos_pressure(energy: Callable[[Array], Array], volume) -> Array:
    """$P = -dE/dV$ of a scalar `energy(volume)`."""
    return -jax.grad(energy)(volume)


def eos_bulk_modulus(energy: Callable[[Array], Array], volume) -> Array:
    """$B = -V dP/dV = V d^2E/dV^2$ of a scalar `energy(volume)`."""
    return volume * jax.grad(jax.grad(energy))(volume)


def equilibrium_volume(energy: Callable[[Array], Array], volumes, iterations: int = 20) -> Array:
    """The volume where the pressure vanishes: Newton on $P(V) = 0$ (step $P V / B$) from
    the lowest-energy of `volumes`, `iterations` steps."""
    volume = volumes[jnp.argmin(jax.vmap(energy)(volumes))]
    for _ in range(iterations):
        volume = volume + eos_pressure(energy, volume) / (eos_bulk_modulus(energy, volume) / volume)
    return volume
