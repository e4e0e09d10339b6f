"""Padded batches of atomic configurations with their neighbour lists, built on the host.

A training set holds configurations of different sizes (a vacancy cell has one atom
fewer, QM9 molecules have 3 to 29 atoms) and, for crystals, different cells. They are
padded to one atom count `n_max` and one pair capacity, so the whole set is a PyTree
of arrays with a leading configuration axis that `vmap`, minibatch samplers and
sharding take as is. Padded atoms have `node_mask` False; padded pairs `mask` False.

Lists are built once here, in numpy, for the positions given (skin 0): the labels are
fixed configurations, not a trajectory. Pairs are all `(i, j, n)` with
`|r_j - r_i + n C| < cutoff`, `(i, j, n) != (i, i, 0)`, both directions (full lists, as
message passing needs), with every periodic image `n` in range, so cells thinner than
twice the cutoff are handled exactly.
"""

import itertools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array
from ..atoms import FreeSpace, NeighborList, PeriodicSpace


class AtomsGraphs(eqx.Module):
    """Configurations padded to `n_max` atoms, with lists padded to one capacity.

    - `species`: `(m, n_max)` int32 indices into the potential's species table.
    - `positions`: `(m, n_max, 3)` Cartesian, Å.
    - `node_mask`: `(m, n_max)` bool, True for real atoms.
    - `cells`: `(m, 3, 3)` rows are lattice vectors (ignored when `periodic` is False).
    - `neighbors`: a `NeighborList` whose array leaves carry the leading `m` axis.
    - `energy` `(m,)` eV, `forces` `(m, n_max, 3)` eV/Å, `stress` `(m, 3, 3)` eV/Å^3
      (ASE's sign convention): labels, `None` where not known.
    - `periodic`: static; True for crystals, False for molecules (free space).
    """

    species: Array
    positions: Array
    node_mask: Array
    cells: Array
    neighbors: NeighborList
    energy: Array | None = None
    forces: Array | None = None
    stress: Array | None = None
    periodic: bool = eqx.field(static=True, default=False)

    def __len__(self) -> int:
        return int(self.species.shape[0])

    @property
    def capacity(self) -> int:
        """Pair slots per configuration."""
        return int(self.neighbors.senders.shape[-1])

    @property
    def n_atoms(self) -> Array:
        return self.node_mask.sum(axis=-1)

    def space(self, cell=None):
        """The space of one configuration (call inside `vmap` with its cell)."""
        return PeriodicSpace(cell) if self.periodic else FreeSpace()

    def take(self, index) -> "AtomsGraphs":
        """The configurations at `index` (an integer array), as a smaller batch."""
        index = np.asarray(index)
        return _map_arrays(lambda a: a[index], self)


def _map_arrays(fn, graphs: AtomsGraphs) -> AtomsGraphs:
    return jax.tree.map(fn, graphs)


def _image_offsets(cell: np.ndarray, cutoff: float) -> np.ndarray:
    """Integer offsets `n` with any point of cell `n` possibly within `cutoff` of cell 0."""
    volume = abs(np.linalg.det(cell))
    widths = [
        volume / np.linalg.norm(np.cross(cell[(a + 1) % 3], cell[(a + 2) % 3])) for a in range(3)
    ]
    extent = [math.ceil(cutoff / w) for w in widths]
    return np.array(list(itertools.product(*[range(-k, k + 1) for k in extent])), dtype=np.int32)


def _pairs(positions: np.ndarray, cell: np.ndarray | None, cutoff: float):
    """`(senders, receivers, shifts)` of one configuration, both directions."""
    offsets = np.zeros((1, 3), np.int32) if cell is None else _image_offsets(cell, cutoff)
    found = []
    for offset in offsets:  # one image at a time: (n, n) distances, never (images, n, n)
        image = np.zeros(3) if cell is None else offset @ cell
        vectors = positions[None, :, :] + image - positions[:, None, :]  # r_j + nC - r_i
        within = np.einsum("ijk,ijk->ij", vectors, vectors) < cutoff * cutoff
        if not offset.any():
            np.fill_diagonal(within, False)
        i, j = np.nonzero(within)
        found.append((i, j, np.broadcast_to(offset, (len(i), 3))))
    i, j, s = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return i.astype(np.int32), j.astype(np.int32), s.astype(np.float64)


def build_graphs(
    positions,
    species,
    node_mask,
    cutoff: float,
    *,
    cells=None,
    energy=None,
    forces=None,
    stress=None,
    capacity: int | None = None,
) -> AtomsGraphs:
    """Pad configurations and build their full neighbour lists within `cutoff` (host side).

    **Arguments:** `positions` `(m, n_max, 3)`; `species` `(m, n_max)` int indices;
    `node_mask` `(m, n_max)` bool; `cutoff` Å; `cells` `(m, 3, 3)` for crystals (None:
    molecules in free space); labels `energy`, `forces`, `stress` as in `AtomsGraphs`;
    `capacity` pair slots (default: the largest count found, rounded up to a multiple
    of 64 so that sets built separately often share one compiled shape).
    """
    positions = np.asarray(positions, dtype=np.float64)
    node_mask = np.asarray(node_mask, dtype=bool)
    species = np.asarray(species)
    if positions.ndim != 3 or positions.shape[-1] != 3:
        raise ValueError(
            f"positions have shape {positions.shape}; expected (configurations, atoms, 3)."
        )
    m, n_max, _ = positions.shape
    for name, value in (("species", species), ("node_mask", node_mask)):
        if value.shape != (m, n_max):
            raise ValueError(f"{name} has shape {value.shape}; expected {(m, n_max)}.")
    if cutoff <= 0:
        raise ValueError(f"cutoff={cutoff} must be > 0 (Å).")
    if cells is not None:
        cells = np.asarray(cells, dtype=np.float64)
        if cells.shape != (m, 3, 3):
            raise ValueError(f"cells have shape {cells.shape}; expected {(m, 3, 3)}.")
    pairs = []
    for k in range(m):
        real = np.nonzero(node_mask[k])[0]
        i, j, s = _pairs(positions[k, real], None if cells is None else cells[k], cutoff)
        pairs.append((real[i], real[j], s))
    most = max(len(p[0]) for p in pairs)
    if capacity is None:
        capacity = max(64, -(-most // 64) * 64)
    elif capacity < most:
        raise ValueError(
            f"capacity={capacity} pair slots but a configuration has {most} pairs within "
            f"cutoff={cutoff}; give capacity >= {most} or None."
        )
    senders = np.zeros((m, capacity), np.int32)
    receivers = np.zeros((m, capacity), np.int32)
    shifts = np.zeros((m, capacity, 3))
    mask = np.zeros((m, capacity), bool)
    for k, (i, j, s) in enumerate(pairs):
        c = len(i)
        senders[k, :c], receivers[k, :c], shifts[k, :c], mask[k, :c] = i, j, s, True
    counts = mask.sum(axis=1).astype(np.int32)
    neighbors = NeighborList(
        senders=jnp.asarray(senders),
        receivers=jnp.asarray(receivers),
        shifts=jnp.asarray(shifts, dtype=jnp.asarray(positions).dtype),
        mask=jnp.asarray(mask),
        reference_positions=jnp.asarray(positions),
        overflow=jnp.zeros((m,), bool),
        count=jnp.asarray(counts),
        cutoff=float(cutoff),
        skin=0.0,
        half=False,
    )
    as_array = lambda x: None if x is None else jnp.asarray(np.asarray(x))
    return AtomsGraphs(
        species=jnp.asarray(species, dtype=jnp.int32),
        positions=jnp.asarray(positions),
        node_mask=jnp.asarray(node_mask),
        cells=jnp.asarray(np.zeros((m, 3, 3)) if cells is None else cells),
        neighbors=neighbors,
        energy=as_array(energy),
        forces=as_array(forces),
        stress=as_array(stress),
        periodic=cells is not None,
    )
