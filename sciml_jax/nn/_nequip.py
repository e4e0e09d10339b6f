"""NequIP: E(3)-equivariant convolutions on irreducible representations (Batzner et al. 2022).

Atom features are `e3nn.IrrepsArray`s with `F` channels of every order `l <= l_max`, of
the parity of the spherical harmonics (`F x 0e + F x 1o + F x 2e` for `l_max = 2`); the
first layer starts from the species embedding, `F x 0e`. A convolution lifts each
neighbour's features by the spherical harmonics of the bond direction through the
Clebsch-Gordan tensor product, weights every path by a radial network, and sums:

$$ \\mathbf m_i = \\frac{1}{\\bar N} \\sum_{j: r_{ij} < r_c}
   R_{p}\\big(\\mathbf e(r_{ij})\\big)\\, u_6(r_{ij}) \\,
   \\big(\\mathbf W_{\\rm up} \\mathbf h_j
   \\otimes_p Y^{\\le l_{\\max}}(\\hat{\\mathbf r}_{ij})\\big) , $$

(`e` the Bessel basis, `u_6` the polynomial envelope, `R_p` one weight per path `p` and
channel, `N_bar` a fixed neighbour normalisation). The update is a linear map of the
message plus a species-dependent self-connection, through a gated nonlinearity (scalars
by SiLU, each `l > 0` channel multiplied by the sigmoid of an extra scalar):

$$ \\mathbf h_i \\leftarrow \\mathrm{Gate}\\big(\\mathbf W_{\\rm down} \\mathbf m_i
   + \\mathbf W_{Z_i} \\mathbf h_i\\big) . $$

The last convolution keeps scalars only; the energy is an MLP of them. Tensor products,
spherical harmonics, linear maps and gates are e3nn-jax's pure functions; the parameters
are equinox arrays.

Symmetry: every step is O(3)-equivariant (outputs are filtered to the harmonics' natural
parity, pseudotensors such as the `1e` of `1o x 1o` are dropped), and the energy is a
`0e` scalar: invariant under rotations and reflections, so it cannot tell a chiral
molecule from its mirror image.
"""

import e3nn_jax as e3nn
import equinox as eqx
import jax
import jax.numpy as jnp

from .._types import Array, Float, Int, Key
from ._graph import (
    AbstractInteratomicModel,
    AtomGraph,
    Linear,
    check_cutoff,
    check_sizes,
    species_embedding,
)
from ._radial import bessel_basis, polynomial_envelope

__all__ = ["NequIP"]


def _irreps(features: int, l_max: int) -> e3nn.Irreps:
    """`F x 0e + F x 1o + F x 2e + ...`: the natural parity `(-1)^l` of `Y^l`."""
    return e3nn.Irreps([(features, (order, (-1) ** order)) for order in range(l_max + 1)])


class _EquivariantLinear(eqx.Module):
    """e3nn's `FunctionalLinear` (channel mixing within each irrep) with equinox weights.

    With `num_indexed`, one weight set per index (species): the output for index `z` is
    `sum_s [z == s] W_s x`, all `num_indexed` maps applied and selected exactly.
    """

    irreps_in: str = eqx.field(static=True)
    irreps_out: str = eqx.field(static=True)
    weights: tuple[Array, ...]

    def __init__(self, irreps_in, irreps_out, *, num_indexed: int | None = None, key: Key):
        self.irreps_in, self.irreps_out = str(irreps_in), str(irreps_out)
        linear = e3nn.FunctionalLinear(self.irreps_in, self.irreps_out)
        keys = jax.random.split(key, max(len(linear.instructions), 1))
        lead = () if num_indexed is None else (num_indexed,)
        self.weights = tuple(
            ins.weight_std * jax.random.normal(k, lead + ins.path_shape)
            for ins, k in zip(linear.instructions, keys[: len(linear.instructions)], strict=True)
        )

    def __call__(self, x: e3nn.IrrepsArray, index: Int[Array, " n"] | None = None):
        linear = e3nn.FunctionalLinear(self.irreps_in, self.irreps_out)
        apply = jax.vmap(lambda ws, xi: linear(list(ws), xi), in_axes=(None, 0))
        if index is None:
            return apply(self.weights, x)
        num = self.weights[0].shape[0]
        out = None
        for s in range(num):
            y = apply(tuple(w[s] for w in self.weights), x) * (index == s)[:, None]
            out = y if out is None else out + y
        return out


class _Convolution(eqx.Module):
    """One NequIP interaction: up-projection, tensor product with `Y(r_hat)` weighted by
    the radial network, neighbour sum, down-projection plus self-connection, gate."""

    irreps_in: str = eqx.field(static=True)
    irreps_filter: str = eqx.field(static=True)
    avg_num_neighbors: float = eqx.field(static=True)
    up: _EquivariantLinear
    radial_1: Linear
    radial_2: Linear
    down: _EquivariantLinear
    skip: _EquivariantLinear

    def __init__(
        self,
        irreps_in: e3nn.Irreps,
        irreps_hidden: e3nn.Irreps,
        irreps_sh: e3nn.Irreps,
        scalars_only: bool,
        num_species: int,
        radial_basis: int,
        radial_hidden: int,
        avg_num_neighbors: float,
        *,
        key: Key,
    ):
        k = jax.random.split(key, 5)
        self.irreps_in = str(irreps_in)
        self.irreps_filter = str(irreps_hidden)
        self.avg_num_neighbors = float(avg_num_neighbors)
        irreps_message = e3nn.tensor_product(
            irreps_in, irreps_sh, filter_ir_out=irreps_hidden
        ).regroup()
        features = irreps_hidden[0].mul
        if scalars_only:
            irreps_gate = e3nn.Irreps(f"{features}x0e")
        else:
            gates = irreps_hidden.num_irreps - features
            irreps_gate = e3nn.Irreps(f"{features + gates}x0e") + irreps_hidden[1:]
        self.up = _EquivariantLinear(irreps_in, irreps_in, key=k[0])
        self.radial_1 = Linear(radial_basis, radial_hidden, key=k[1])
        self.radial_2 = Linear(radial_hidden, irreps_message.num_irreps, key=k[2])
        self.down = _EquivariantLinear(irreps_message, irreps_gate, key=k[3])
        self.skip = _EquivariantLinear(irreps_in, irreps_gate, num_indexed=num_species, key=k[4])

    def __call__(self, h: e3nn.IrrepsArray, sh, basis, envelope, graph: AtomGraph):
        x = self.up(h)
        x_j = e3nn.IrrepsArray(x.irreps, x.array[graph.neighbors])
        filter_ir = [ir for _, ir in e3nn.Irreps(self.irreps_filter)]
        message = e3nn.tensor_product(x_j, sh, filter_ir_out=filter_ir).regroup()
        weights = self.radial_2(jax.nn.silu(self.radial_1(basis))) * envelope[:, None]
        message = message * weights
        summed = graph.aggregate(message.array) / self.avg_num_neighbors
        out = self.down(e3nn.IrrepsArray(message.irreps, summed))
        out = out + self.skip(h, graph.species)
        # normalize_act=False: e3nn would rescale each activation by a constant found by
        # evaluating it on 10^6 points at every trace (seconds per call on the CPU).
        return e3nn.gate(
            out, even_act=jax.nn.silu, even_gate_act=jax.nn.sigmoid, normalize_act=False
        )


class NequIP(AbstractInteratomicModel):
    """NequIP/MACE-like potential on e3nn-jax irreps up to `l_max`, energy from scalars.

    Convolutions `Gate(W_down sum_j R(r_ij) (W_up h_j x Y(r_hat_ij)) / N_bar + W_Z h_i)`
    (equations in the module docstring). Energies are O(3)-invariant (mirror images get
    equal energies), forces equivariant; higher `l_max` resolves angles more finely at a
    cost that grows like `l_max^3` per edge.

    **Arguments:**

    - `num_species`: number of species indices (0..num_species-1).
    - `cutoff`: `r_c`; `key`: a `jax.random` key.
    - `features`: channels per irrep order (NequIP: 32-64).
    - `interactions`: convolutions (the last one outputs scalars only).
    - `l_max`: highest order of spherical harmonics and features (NequIP: 1-3).
    - `radial_basis`: Bessel functions (NequIP: 8), times the `p = 6` envelope.
    - `radial_hidden`: width of the radial network's hidden layer.
    - `avg_num_neighbors`: fixed divisor of the neighbour sum (about the mean number of
      neighbours within `r_c` of the data; a constant, so the energy stays local).

    **Returns** (on call): `(n,)` per-atom energies, 0.0 on padded atoms.

    ```python
    model = nn.NequIP(3, cutoff=5.0, key=jax.random.key(0), features=16, l_max=2)
    energy = model(species, positions, nbrs, space).sum()
    ```

    **Reference:** Batzner et al., "E(3)-equivariant graph neural networks for
    data-efficient and accurate interatomic potentials", Nat. Commun. 13, 2453 (2022);
    Geiger, Smidt, "e3nn: Euclidean neural networks" (2022).
    """

    num_species: int = eqx.field(static=True)
    cutoff: float = eqx.field(static=True)
    l_max: int = eqx.field(static=True)
    radial_basis: int = eqx.field(static=True)
    embedding: Float[Array, "num_species features"]
    convolutions: tuple[_Convolution, ...]
    readout_1: Linear
    readout_2: Linear

    def __init__(
        self,
        num_species: int,
        *,
        cutoff: float,
        key: Key,
        features: int = 32,
        interactions: int = 3,
        l_max: int = 2,
        radial_basis: int = 8,
        radial_hidden: int = 64,
        avg_num_neighbors: float = 12.0,
    ):
        check_sizes(
            features=features,
            interactions=interactions,
            radial_basis=radial_basis,
            radial_hidden=radial_hidden,
        )
        if isinstance(l_max, bool) or int(l_max) != l_max or not 0 <= l_max <= 4:
            raise ValueError(f"l_max={l_max!r}; expected an integer from 0 to 4 (NequIP: 1-3).")
        if not avg_num_neighbors > 0:
            raise ValueError(
                f"avg_num_neighbors={avg_num_neighbors!r}; expected a positive number "
                "(about the mean neighbour count within the cutoff)."
            )
        self.num_species = int(num_species)
        self.cutoff = check_cutoff(cutoff)
        self.l_max = int(l_max)
        self.radial_basis = int(radial_basis)
        keys = jax.random.split(key, interactions + 3)
        self.embedding = species_embedding(num_species, features, key=keys[0])
        hidden = _irreps(features, self.l_max)
        irreps_sh = e3nn.Irreps.spherical_harmonics(self.l_max)
        irreps_in = e3nn.Irreps(f"{features}x0e")
        convolutions = []
        for t in range(interactions):
            last = t == interactions - 1
            convolutions.append(
                _Convolution(
                    irreps_in,
                    hidden,
                    irreps_sh,
                    last,
                    num_species,
                    radial_basis,
                    radial_hidden,
                    avg_num_neighbors,
                    key=keys[3 + t],
                )
            )
            irreps_in = irreps_in if last else hidden
        self.convolutions = tuple(convolutions)
        width = max(features // 2, 1)
        self.readout_1 = Linear(features, width, key=keys[1])
        self.readout_2 = Linear(width, 1, key=keys[2])

    def atom_energies(self, graph: AtomGraph) -> Float[Array, " n"]:
        basis = bessel_basis(graph.lengths, self.cutoff, self.radial_basis)
        envelope = jnp.where(graph.edge_mask, polynomial_envelope(graph.lengths, self.cutoff), 0.0)
        sh = e3nn.spherical_harmonics(
            e3nn.Irreps.spherical_harmonics(self.l_max),
            graph.unit,
            normalize=False,
            normalization="component",
        )
        h = e3nn.IrrepsArray(f"{self.embedding.shape[1]}x0e", self.embedding[graph.species])
        for convolution in self.convolutions:
            h = convolution(h, sh, basis, envelope, graph)
        scalars = h.filter(keep="0e").array
        return self.readout_2(jax.nn.silu(self.readout_1(scalars)))[:, 0]
