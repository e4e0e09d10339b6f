"""The atom graph the interatomic models share, and their common base.

One call sees one structure: `species` `(n,)`, `positions` `(n, 3)`, a full
`NeighborList` and the space it was built in. An edge `k` joins the centre
`i = senders[k]` to the neighbour `j = receivers[k]` with the vector

$$ \\mathbf r_{ij} = \\mathbf r_j - \\mathbf r_i + \\mathbf n_{ij} C , $$

(the list's `pair_vectors`, differentiable in positions and cell), and is used when the
list has it, both atoms are real (`node_mask`) and `|r_ij| < r_c`: pairs the list keeps
within its skin but beyond the model cutoff contribute exactly nothing. Messages are
summed at the centre. Lengths of unused edges are replaced by `r_c` before the square
root, so padding (zero vectors) gives finite gradients.

Every model is an `AbstractInteratomicModel`: its `__call__` checks the inputs, builds the
`AtomGraph` and returns the per-atom energies of `atom_energies(graph)`, set to exactly
0.0 on padded atoms. The total energy is their sum, forces are `-jax.grad` of it, and
`sciml_jax.atoms.stress` works because the cell enters only through `pair_vectors`.
"""

import abc
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp

from .._types import Array, Float, Int, Key
from ..atoms import AbstractSpace, FreeSpace, NeighborList, PeriodicSpace

__all__ = ["AbstractInteratomicModel", "AtomGraph", "atom_graph"]


class AtomGraph(NamedTuple):
    """Nodes and edges of one structure (see the module docstring).

    - `species`: `(n,)` int, clipped into range on padded atoms.
    - `node_mask`: `(n,)` bool, True for real atoms.
    - `centers`, `neighbors`: `(E,)` int, `i` and `j` of each edge (messages go `j -> i`).
    - `vectors`: `(E, 3)` `r_ij`, zero on unused edges.
    - `lengths`: `(E,)` `|r_ij|`, `r_c` on unused edges (safe to divide by).
    - `unit`: `(E, 3)` `r_ij / |r_ij|`, zero on unused edges.
    - `edge_mask`: `(E,)` bool, True for the edges in use.
    """

    species: Int[Array, " n"]
    node_mask: Array
    centers: Int[Array, " E"]
    neighbors: Int[Array, " E"]
    vectors: Float[Array, "E 3"]
    lengths: Float[Array, " E"]
    unit: Float[Array, "E 3"]
    edge_mask: Array

    @property
    def num_nodes(self) -> int:
        return self.species.shape[0]

    def aggregate(self, messages: Array) -> Array:
        """Sum of edge `messages` `(E, ...)` at their centres, `(n, ...)` (unused edges
        must already be zero)."""
        return jax.ops.segment_sum(messages, self.centers, num_segments=self.num_nodes)


def atom_graph(
    species: Int[Array, " n"],
    positions: Float[Array, "n 3"],
    neighbors: NeighborList,
    space: AbstractSpace,
    cutoff: float,
    num_species: int,
    node_mask: Array | None = None,
) -> AtomGraph:
    """Check one structure and build its `AtomGraph` for a model of range `cutoff`."""
    if not isinstance(neighbors, NeighborList):
        raise TypeError(
            f"neighbors is a {type(neighbors).__name__}; expected a sciml_jax.atoms."
            "NeighborList (build one with atoms.neighbor_list(space, positions, cutoff, "
            "half=False))."
        )
    if neighbors.half:
        raise ValueError(
            "neighbors is a half list (each pair once); message passing needs both "
            "directions: build it with atoms.neighbor_list(..., half=False)."
        )
    if neighbors.cutoff < cutoff:
        raise ValueError(
            f"the neighbour list was built with cutoff {neighbors.cutoff:g} but the model's "
            f"cutoff is {cutoff:g}: pairs in between would be missed. Build the list with "
            f"cutoff >= {cutoff:g}."
        )
    if not isinstance(space, FreeSpace | PeriodicSpace):
        raise TypeError(f"space must be FreeSpace() or a PeriodicSpace, got {type(space)}.")
    positions = jnp.asarray(positions)
    species = jnp.asarray(species)
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(f"positions have shape {positions.shape}; expected (n, 3).")
    n = positions.shape[0]
    if species.shape != (n,) or not jnp.issubdtype(species.dtype, jnp.integer):
        raise ValueError(
            f"species has shape {species.shape} and dtype {species.dtype}; expected ({n},) "
            f"integer indices 0..{num_species - 1}, one per position."
        )
    if neighbors.reference_positions.shape[0] != n:
        raise ValueError(
            f"the neighbour list was built for {neighbors.reference_positions.shape[0]} "
            f"atoms but {n} positions were given; build the list on these positions."
        )
    if node_mask is None:
        node_mask = jnp.ones((n,), bool)
    else:
        node_mask = jnp.asarray(node_mask)
        if node_mask.shape != (n,) or node_mask.dtype != jnp.bool_:
            raise ValueError(
                f"node_mask has shape {node_mask.shape} and dtype {node_mask.dtype}; "
                f"expected ({n},) bool, True for real atoms (or None: all real)."
            )
    species = eqx.error_if(
        species,
        node_mask & ((species < 0) | (species >= num_species)),
        f"species indices must lie in 0..{num_species - 1} (the model's num_species) "
        "on every real atom; map atomic numbers to indices first.",
    )
    species = jnp.clip(species, 0, num_species - 1)

    centers, others = neighbors.senders, neighbors.receivers
    vectors = neighbors.pair_vectors(space, positions)
    r2 = jnp.sum(vectors**2, axis=-1)
    edge_mask = neighbors.mask & node_mask[centers] & node_mask[others] & (r2 < cutoff**2)
    lengths = jnp.sqrt(jnp.where(edge_mask, r2, cutoff**2))
    vectors = jnp.where(edge_mask[:, None], vectors, 0.0)
    unit = vectors / lengths[:, None]
    return AtomGraph(species, node_mask, centers, others, vectors, lengths, unit, edge_mask)


class AbstractInteratomicModel(eqx.Module):
    """A learned energy as a sum of atomic contributions, `E = sum_i epsilon_i`.

    Subclasses hold `num_species` and `cutoff` and implement
    `atom_energies(graph) -> (n,)`; `__call__` is the same for all of them:

    ```python
    nbrs = atoms.neighbor_list(space, positions, cutoff=5.0, half=False)
    energy = model(species, positions, nbrs, space).sum()
    forces = -jax.grad(lambda r: model(species, r, nbrs, space).sum())(positions)
    ```
    """

    num_species: eqx.AbstractVar[int]
    cutoff: eqx.AbstractVar[float]

    @abc.abstractmethod
    def atom_energies(self, graph: AtomGraph) -> Float[Array, " n"]:
        """Per-atom energies from the graph (padded atoms may hold anything)."""

    def __call__(
        self,
        species: Int[Array, " n"],
        positions: Float[Array, "n 3"],
        neighbors: NeighborList,
        space: AbstractSpace,
        node_mask: Array | None = None,
    ) -> Float[Array, " n"]:
        """Per-atom energy contributions `(n,)`, exactly 0.0 where `node_mask` is False.

        **Arguments:** `species` int `(n,)` in `0..num_species-1`; `positions` `(n, 3)`;
        `neighbors` a full `NeighborList` (`half=False`, cutoff >= the model's);
        `space` `FreeSpace()` or a `PeriodicSpace`; `node_mask` bool `(n,)` or None.
        """
        graph = atom_graph(
            species, positions, neighbors, space, self.cutoff, self.num_species, node_mask
        )
        return jnp.where(graph.node_mask, self.atom_energies(graph), 0.0)


class Linear(eqx.Module):
    """`x @ W + b` on the last axis; LeCun-normal weights, zero bias (bias optional)."""

    weight: Float[Array, "fan_in fan_out"]
    bias: Float[Array, " fan_out"] | None

    def __init__(self, fan_in: int, fan_out: int, *, use_bias: bool = True, key: Key):
        self.weight = jax.random.normal(key, (fan_in, fan_out)) / jnp.sqrt(fan_in)
        self.bias = jnp.zeros((fan_out,)) if use_bias else None

    def __call__(self, x: Array) -> Array:
        y = x @ self.weight
        return y if self.bias is None else y + self.bias


def species_embedding(num_species: int, features: int, *, key: Key) -> Array:
    """A `(num_species, features)` table of unit-variance initial atom features."""
    if int(num_species) != num_species or num_species < 1:
        raise ValueError(f"num_species={num_species!r}; expected a positive integer.")
    if int(features) != features or features < 1:
        raise ValueError(f"features={features!r}; expected a positive integer.")
    return jax.random.normal(key, (num_species, features))


def check_sizes(**sizes) -> None:
    """`ValueError` naming any size that is not a positive integer."""
    for name, value in sizes.items():
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{name}={value!r}; expected a positive integer.")


def check_cutoff(cutoff) -> float:
    cutoff = float(cutoff)
    if not cutoff > 0:
        raise ValueError(f"cutoff={cutoff!r}; expected a positive distance (e.g. 5.0 A).")
    return cutoff
