"""PaiNN: polarizable atom interaction network, scalar and vector features (Schütt et al. 2021).

Each atom carries scalars `s_i` `(F,)` and vectors `v_i` `(3, F)` (`v_i^0 = 0`). A
message block sums over neighbours with filters from the distance,

$$ (\\boldsymbol\\phi^{s}, \\boldsymbol\\phi^{vv}, \\boldsymbol\\phi^{vs})_{ij}
   = \\mathrm{MLP}(\\mathbf s_j) \\odot \\mathbf W(\\mathbf e(r_{ij}))\\, f_{\\cos}(r_{ij}) , $$

$$ \\Delta \\mathbf s_i = \\sum_j \\boldsymbol\\phi^{s}_{ij}, \\qquad
   \\Delta \\mathbf v_i = \\sum_j \\mathbf v_j \\odot \\boldsymbol\\phi^{vv}_{ij}
   + \\boldsymbol\\phi^{vs}_{ij} \\otimes \\hat{\\mathbf r}_{ij} , $$

(`e` the Bessel basis, `s_ij r_hat_ij` the message that makes vectors out of scalars),
and an update block mixes the channels of the vectors with `U`, `V` and couples the two
kinds through the invariants `||V v_i||` and `<U v_i, V v_i>`:

$$ \\mathbf a_i = \\mathrm{MLP}(\\mathbf s_i, \\|\\mathbf V \\mathbf v_i\\|), \\qquad
   \\Delta \\mathbf v_i = \\mathbf a^{vv}_i \\odot \\mathbf U \\mathbf v_i, \\qquad
   \\Delta \\mathbf s_i = \\mathbf a^{sv}_i \\odot \\langle \\mathbf U \\mathbf v_i,
   \\mathbf V \\mathbf v_i \\rangle + \\mathbf a^{ss}_i . $$

Vectors rotate with the structure, scalars do not; the energy is read from the
scalars, `epsilon_i = MLP(s_i)`. `||V v||` is `sqrt(|V v|^2 + 1e-8)`, smooth at `v = 0`
(isolated atoms, the first layer) so gradients stay finite.

Symmetry: the scalars are invariant under O(3) (reflections included: `v` flips with the
positions and only products of two vectors reach the scalars), so the energy cannot tell
mirror images apart.
"""

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
from ._radial import bessel_basis, cosine_cutoff

__all__ = ["PaiNN"]

_NORM_EPS = 1e-8


class _Message(eqx.Module):
    """Neighbour sums of filtered scalars and of (vector + direction) messages."""

    phi_1: Linear
    phi_2: Linear
    filter: Linear

    def __init__(self, features: int, radial_basis: int, *, key: Key):
        k = jax.random.split(key, 3)
        self.phi_1 = Linear(features, features, key=k[0])
        self.phi_2 = Linear(features, 3 * features, key=k[1])
        self.filter = Linear(radial_basis, 3 * features, key=k[2])

    def __call__(self, s, v, basis, cut, graph: AtomGraph):
        phi = self.phi_2(jax.nn.silu(self.phi_1(s)))
        x = phi[graph.neighbors] * (self.filter(basis) * cut[:, None])
        x_s, x_vv, x_vs = jnp.split(x, 3, axis=-1)
        dv = v[graph.neighbors] * x_vv[:, None, :] + graph.unit[:, :, None] * x_vs[:, None, :]
        return s + graph.aggregate(x_s), v + graph.aggregate(dv)


class _Update(eqx.Module):
    """Atom-wise coupling of scalars and vectors through norms and inner products."""

    u: Linear
    v: Linear
    a_1: Linear
    a_2: Linear

    def __init__(self, features: int, *, key: Key):
        k = jax.random.split(key, 4)
        self.u = Linear(features, features, use_bias=False, key=k[0])
        self.v = Linear(features, features, use_bias=False, key=k[1])
        self.a_1 = Linear(2 * features, features, key=k[2])
        self.a_2 = Linear(features, 3 * features, key=k[3])

    def __call__(self, s, v):
        uv, vv = self.u(v), self.v(v)  # (n, 3, F): channels mixed, components untouched
        norm = jnp.sqrt(jnp.sum(vv**2, axis=1) + _NORM_EPS)
        a = self.a_2(jax.nn.silu(self.a_1(jnp.concatenate([s, norm], axis=-1))))
        a_vv, a_sv, a_ss = jnp.split(a, 3, axis=-1)
        ds = a_sv * jnp.sum(uv * vv, axis=1) + a_ss
        return s + ds, v + a_vv[:, None, :] * uv


class PaiNN(AbstractInteratomicModel):
    """PaiNN-like equivariant potential: scalar and vector features, energy from scalars.

    Message `s_ij * r_hat_ij` builds vectors from scalars; the update couples them through
    `||V v||` and `<U v, V v>` (see the module docstring for the equations). Energies are
    O(3)-invariant (mirror images get equal energies), forces equivariant.

    **Arguments:**

    - `num_species`: number of species indices (0..num_species-1).
    - `cutoff`: `r_c`; `key`: a `jax.random` key.
    - `features`: `F`, the width of scalars and of vector channels (PaiNN: 128).
    - `interactions`: message + update blocks (PaiNN: 3).
    - `radial_basis`: Bessel functions (PaiNN: 20), times the cosine cutoff.

    **Returns** (on call): `(n,)` per-atom energies, 0.0 on padded atoms.

    ```python
    model = nn.PaiNN(3, cutoff=5.0, key=jax.random.key(0))
    energy = model(species, positions, nbrs, space).sum()
    ```

    **Reference:** Schütt, Unke, Gastegger, "Equivariant message passing for the
    prediction of tensorial properties and molecular spectra", ICML 2021.
    """

    num_species: int = eqx.field(static=True)
    cutoff: float = eqx.field(static=True)
    radial_basis: int = eqx.field(static=True)
    embedding: Float[Array, "num_species features"]
    messages: tuple[_Message, ...]
    updates: tuple[_Update, ...]
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
        keys = jax.random.split(key, 2 * interactions + 3)
        self.embedding = species_embedding(num_species, features, key=keys[0])
        self.messages = tuple(
            _Message(features, radial_basis, key=k) for k in keys[3 : 3 + interactions]
        )
        self.updates = tuple(_Update(features, key=k) for k in keys[3 + interactions :])
        hidden = max(features // 2, 1)
        self.readout_1 = Linear(features, hidden, key=keys[1])
        self.readout_2 = Linear(hidden, 1, key=keys[2])

    def atom_energies(self, graph: AtomGraph) -> Float[Array, " n"]:
        basis = bessel_basis(graph.lengths, self.cutoff, self.radial_basis)
        cut = jnp.where(graph.edge_mask, cosine_cutoff(graph.lengths, self.cutoff), 0.0)
        s = self.embedding[graph.species]
        v = jnp.zeros((s.shape[0], 3, s.shape[1]), s.dtype)
        for message, update in zip(self.messages, self.updates, strict=True):
            s, v = message(s, v, basis, cut, graph)
            s, v = update(s, v)
        return self.readout_2(jax.nn.silu(self.readout_1(s)))[:, 0]
