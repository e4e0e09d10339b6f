"""Particles: spaces, neighbour lists, classical energies and the ASE interface.

Positions are `(N, d)` Cartesian arrays, kept unwrapped; a space says how to measure and
move; a `NeighborList` carries the pairs within range with explicit periodic images.
Energies are pure functions of positions (forces are `-jax.grad`), usable with or without
a list, so a learned energy from `nn` plugs into the same simulators.
"""

from ._neighbor_list import NeighborList as NeighborList
from ._space import AbstractSpace as AbstractSpace
from ._space import FreeSpace as FreeSpace
from ._space import PeriodicSpace as PeriodicSpace
