"""SchNet: an invariant network of continuous-filter convolutions (Schütt et al. 2018).

Atoms start from a learned embedding of their species, `x_i^0 = a_{Z_i}`, and each of
`T` interactions adds a convolution with a filter generated from the distance:

$$ \\mathbf W_{ij} = \\mathrm{MLP}_W\\big(\\mathbf g(r_{ij})\\big)\\, f_{\\cos}(r_{ij}), \\qquad
   \\mathbf x_i \\leftarrow \\mathbf x_i + \\mathrm{MLP}_{\\rm out}\\Big(\\sum_j
   (\\mathbf A \\mathbf x_j) \\odot \\mathbf W_{ij}\\Big) , $$

with `g` the Gaussian basis, `f_cos` the cosine cutoff and shifted-softplus networks
(`ssp(x) = softplus(x) - log 2`). The atomic energy is an atom-wise MLP of the final
features, `epsilon_i = MLP(x_i^T)`.

Symmetry: the energy depends on distances only, so it is invariant to rotations,
reflections, translations and permutations of like atoms; like every E(3)-invariant
energy it cannot tell a chiral molecule from its mirror image.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from .._types import Array, Float, Key
from ._graph import (
    AbstractInteratomicModel,
    AtomGraph,
    Linear,
    check_cutoff,
    check_sizes,
    species_embedding,
)
from ._radial import cosine_cutoff, gaussian_basis

__all__ = ["SchNet", "shifted_softplus"]


def shifted_softplus(x: Array) -> Array:
    """`softplus(x) - log 2`: zero at zero, SchNet's activation."""
    return jax.nn.softplus(x) - math.log(2.0)


class _Interaction(eqx.Module):
    """One continuous-filter convolution with its atom-wise layers and residual."""

    filter_in: Linear
    filter_out: Linear
    atomwise_in: Linear
    out_1: Linear
    out_2: Linear

    def __init__(self, features: int, radial_basis: int, *, key: Key):
        k = jax.random.split(key, 5)
        self.filter_in = Linear(radial_basis, features, key=k[0])
        self.filter_out = Linear(features, features, key=k[1])
        self.atomwise_in = Linear(features, features, use_bias=False, key=k[2])
        self.out_1 = Linear(features, features, key=k[3])
        self.out_2 = Linear(features, features, key=k[4])

    def __call__(self, x, basis, cut, graph: AtomGraph):
        w = self.filter_out(shifted_softplus(self.filter_in(basis))) * cut[:, None]
        messages = self.atomwise_in(x)[graph.neighbors] * w
        v = graph.aggregate(messages)
        return x + self.out_2(shifted_softplus(self.out_1(v)))


class SchNet(AbstractInteratomicModel):
    """SchNet-like invariant potential: per-atom energies from continuous-filter convolutions.

    $$ \\mathbf x_i \\leftarrow \\mathbf x_i + \\mathrm{MLP}\\Big(\\sum_{j: r_{ij} < r_c}
       (\\mathbf A \\mathbf x_j) \\odot \\mathrm{MLP}_W(\\mathbf g(r_{ij}))\\,
       f_{\\cos}(r_{ij})\\Big), \\qquad \\epsilon_i = \\mathrm{MLP}(\\mathbf x_i) $$

    Invariant under O(3), translations and permutations: a molecule and its mirror image
    get the same energy (distances are all it sees).

    **Arguments:**

    - `num_species`: number of species indices (0..num_species-1).
    - `cutoff`: `r_c`, in the units of the positions.
    - `key`: a `jax.random` key.
    - `features`: width of the atom features (SchNet: 64-128).
    - `interactions`: number of convolutions `T`.
    - `radial_basis`: number of Gaussians from 0 to `r_c`.

    **Returns** (on call): `(n,)` per-atom energies, 0.0 on padded atoms.

    ```python
    model = nn.SchNet(3, cutoff=5.0, key=jax.random.key(0))
    nbrs = atoms.neighbor_list(atoms.FreeSpace(), positions, 5.0, half=False)
    energy = model(species, positions, nbrs, atoms.FreeSpace()).sum()
    ```

    **Reference:** Schütt, Sauceda, Kindermans, Tkatchenko, Müller, "SchNet - a deep
    learning architecture for molecules and materials", J. Chem. Phys. 148, 241722 (2018).
    """

    num_species: int = eqx.field(static=True)
    cutoff: float = eqx.field(static=True)
    radial_basis: int = eqx.field(static=True)
    embedding: Float[Array, "num_species features"]
    blocks: tuple[_Interaction, ...]
    readout_1: Linear
    readout_2: Linear

    def __init__(
        self,
        num_species: int,
        *,
        cutoff: float,
        key: Key,
        features: int = 64,
        interactions: int = 3,
        radial_basis: int = 20,
    ):
        check_sizes(features=features, interactions=interactions, radial_basis=radial_basis)
        self.num_species = int(num_species)
        self.cutoff = check_cutoff(cutoff)
        self.radial_basis = int(radial_basis)
        keys = jax.random.split(key, interactions + 3)
        self.embedding = species_embedding(num_species, features, key=keys[0])
        self.blocks = tuple(_Interaction(features, radial_basis, key=k) for k in keys[3:])
        hidden = max(features // 2, 1)
        self.readout_1 = Linear(features, hidden, key=keys[1])
        self.readout_2 = Linear(hidden, 1, key=keys[2])

    def atom_energies(self, graph: AtomGraph) -> Float[Array, " n"]:
        basis = gaussian_basis(graph.lengths, self.cutoff, self.radial_basis)
        cut = jnp.where(graph.edge_mask, cosine_cutoff(graph.lengths, self.cutoff), 0.0)
        x = self.embedding[graph.species]
        for block in self.blocks:
            x = block(x, basis, cut, graph)
        return self.readout_2(shifted_softplus(self.readout_1(x)))[:, 0]
