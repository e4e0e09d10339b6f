"""The neighbour list as data: fixed-capacity pair arrays with explicit periodic images.

A list holds, for every pair within `cutoff + skin` at the last build, the two particle
indices and the integer image offset of the second one, so

$$ \\mathbf r_{ij} = \\mathbf r_j - \\mathbf r_i + \\mathbf n_{ij} C $$

with `C` the cell (rows are lattice vectors) and `n_ij` integers. The offsets make the
displacement exact for any cell, triclinic or smaller than twice the cutoff (several
images of one particle are several entries), and differentiable with respect to the cell
(the virial stress) because `n_ij` is fixed while `C` varies. Positions are unwrapped, so
the offsets stay valid between builds while particles move.

Entries beyond `count` are padding (`mask` False); `overflow` is set when a build found
more pairs than `capacity` (the list is then incomplete and must be rebuilt larger:
`sciml_jax.sim` drivers do that and redo the affected steps).
"""

from typing import Any

import equinox as eqx
import jax.numpy as jnp

from .._types import Array, Float
from ._space import AbstractSpace, PeriodicSpace


class NeighborList(eqx.Module):
    """Pairs `(senders[k], receivers[k])` with image offsets `shifts[k]`, `k < capacity`.

    - `senders`, `receivers`: `(capacity,)` int32 particle indices (0 in padding).
    - `shifts`: `(capacity, d)` integer image offsets of the receiver, stored as floats.
    - `mask`: `(capacity,)` bool, True for real pairs.
    - `reference_positions`: `(N, d)` positions at the last build (for the skin check).
    - `overflow`: bool scalar, True if the last build had more pairs than `capacity`.
    - `count`: int32 scalar, pairs found at the last build (may exceed `capacity`).
    - `cutoff`, `skin`: static floats; the list holds pairs within `cutoff + skin`.
    - `half`: static; True lists each unordered pair once (pair energies), False both
      directions (message passing).
    - `builder`: static `ListBuilder` (how `update` rebuilds under `jit`), None for a
      list made by hand.
    - `max_occupancy`: int32 scalar, the fullest bin of a cell-list build (0 otherwise).
    - `builds`: int32 scalar, rebuilds since the host build (for rebuild statistics).
    """

    senders: Array
    receivers: Array
    shifts: Float[Array, "capacity d"]
    mask: Array
    reference_positions: Float[Array, "n d"]
    overflow: Array
    count: Array
    cutoff: float = eqx.field(static=True)
    skin: float = eqx.field(static=True)
    half: bool = eqx.field(static=True)
    builder: Any = eqx.field(static=True, default=None)
    max_occupancy: Array | None = None
    builds: Array | None = None

    @property
    def capacity(self) -> int:
        return self.senders.shape[0]

    def pair_vectors(self, space: AbstractSpace, positions: Float[Array, "n d"]) -> Array:
        """`r_j - r_i + n_ij C` for every entry, `(capacity, d)` (padding entries: 0)."""
        vectors = positions[self.receivers] - positions[self.senders]
        if isinstance(space, PeriodicSpace):
            # `shifts @ cell` written out: a (capacity, d) x (d, d) dot is several times
            # slower on the CPU than d fused multiply-adds (same value, also for grads).
            d = space.dimension
            vectors = vectors + sum(self.shifts[:, a, None] * space.cell[a] for a in range(d))
        return jnp.where(self.mask[:, None], vectors, 0.0)
