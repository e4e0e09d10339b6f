"""Particles: spaces, neighbour lists, classical energies and the ASE interface.

Positions are `(N, d)` Cartesian arrays, kept unwrapped; a space says how to measure and
move; a `NeighborList` carries the pairs within range with explicit periodic images.
Energies are pure functions of positions (forces are `-jax.grad`), usable with or without
a list, so a learned energy from `nn` plugs into the same simulators.
"""

from ._ase import ExtXYZWriter as ExtXYZWriter
from ._ase import System as System
from ._ase import from_ase as from_ase
from ._ase import read_extxyz as read_extxyz
from ._ase import to_ase as to_ase
from ._bonds import gaussian_bond as gaussian_bond
from ._bonds import harmonic_bond as harmonic_bond
from ._energies import energy_and_forces as energy_and_forces
from ._energies import forces as forces
from ._energies import pair_energy as pair_energy
from ._energies import stress as stress
from ._neighbor_list import NeighborList as NeighborList
from ._neighbors import ListBuilder as ListBuilder
from ._neighbors import NeighborListOverflowError as NeighborListOverflowError
from ._neighbors import needs_rebuild as needs_rebuild
from ._neighbors import neighbor_list as neighbor_list
from ._neighbors import reallocate as reallocate
from ._neighbors import rebuild as rebuild
from ._neighbors import update as update
from ._observables import degrees_of_freedom as degrees_of_freedom
from ._observables import kinetic_energy as kinetic_energy
from ._observables import kinetic_stress as kinetic_stress
from ._observables import mean_square_displacement as mean_square_displacement
from ._observables import pressure as pressure
from ._observables import radial_distribution as radial_distribution
from ._observables import temperature as temperature
from ._pair_potentials import lennard_jones as lennard_jones
from ._pair_potentials import lennard_jones_ase as lennard_jones_ase
from ._pair_potentials import morse as morse
from ._pair_potentials import smooth_switch as smooth_switch
from ._pair_potentials import soft_sphere as soft_sphere
from ._space import AbstractSpace as AbstractSpace
from ._space import FreeSpace as FreeSpace
from ._space import PeriodicSpace as PeriodicSpace
