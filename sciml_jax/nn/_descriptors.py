"""Hand-made invariant descriptors of molecules: inverse distances, Coulomb matrices and
Behler-Parrinello symmetry functions.

Every function takes one molecule padded to `n` atom slots, `atomic_numbers` `(n,)` (0 in
padding; `sorted_inverse_distances` does not use them and omits the argument), `positions`
`(n, 3)` and a boolean `mask` `(n,)` (True for real atoms), and is pure and unbatched:
`jax.vmap` it over a padded batch. Padding slots contribute nothing, so a
molecule gives the same descriptor whatever the padding, and gradients with respect to the
positions stay finite (distances of padded or self pairs are never square-rooted at 0).
All of them are invariant under rotations, reflections, translations and permutations of
atoms; the per-atom symmetry functions permute with the atoms.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from .._types import Array, Float
from ._radial import cosine_cutoff

__all__ = [
    "sorted_inverse_distances",
    "coulomb_matrix",
    "coulomb_matrix_eigenvalues",
    "radial_symmetry_functions",
    "angular_symmetry_functions",
    "atom_symmetry_functions",
    "molecule_symmetry_functions",
]


def _distances(positions, mask):
    """Displacements `r_j - r_i` `(n, n, 3)`, distances `(n, n)` and the pair mask (i != j,
    both real); distances of invalid pairs are set to 1 so nothing divides by zero."""
    n = positions.shape[0]
    displacement = positions[None, :, :] - positions[:, None, :]
    valid = mask[:, None] & mask[None, :] & ~jnp.eye(n, dtype=bool)
    squared = jnp.where(valid, jnp.sum(displacement**2, axis=-1), 1.0)
    return displacement, jnp.sqrt(squared), valid


def sorted_inverse_distances(
    positions: Float[Array, "n 3"], mask: Array
) -> Float[Array, " n*(n-1)/2"]:
    """All inverse interatomic distances `1 / |r_i - r_j|`, `i < j`, sorted descending.

    Sorting removes the dependence on the atom order; the `n(n-1)/2` entries of pairs with
    a padding atom are 0 and so sort to the end. This is the Coulomb matrix's off-diagonal
    without the nuclear charges (the "bag of bonds" idea without the bags).

    **Arguments:** `positions` `(n, 3)`, `mask` `(n,)` bool.

    **Returns:** `(n(n-1)/2,)` inverse distances in 1/(unit of `positions`).
    """
    _, r, valid = _distances(positions, mask)
    i, j = np.triu_indices(positions.shape[0], k=1)
    inverse = jnp.where(valid[i, j], 1.0 / r[i, j], 0.0)
    return -jnp.sort(-inverse)


def coulomb_matrix(
    atomic_numbers: Array, positions: Float[Array, "n 3"], mask: Array
) -> Float[Array, "n n"]:
    """The Coulomb matrix of Rupp et al., PRL 108, 058301 (2012):

    `M_ii = 0.5 Z_i^2.4`,  `M_ij = Z_i Z_j / |r_i - r_j|`  (i != j),

    with rows and columns of padding atoms zero. Distances are in the units of `positions`
    (Angstrom for QM9; Rupp et al. used Bohr, which rescales the off-diagonal by 0.529).
    It depends on the atom order; its eigenvalues do not.

    **Returns:** `(n, n)` symmetric matrix.
    """
    z = jnp.where(mask, atomic_numbers, 0).astype(positions.dtype)
    _, r, valid = _distances(positions, mask)
    off_diagonal = jnp.where(valid, z[:, None] * z[None, :] / r, 0.0)
    return off_diagonal + jnp.diag(0.5 * z**2.4)


def coulomb_matrix_eigenvalues(
    atomic_numbers: Array, positions: Float[Array, "n 3"], mask: Array
) -> Float[Array, " n"]:
    """Eigenvalues of `coulomb_matrix`, sorted by decreasing absolute value.

    A padded molecule with `m` real atoms has `n - m` zero eigenvalues (the zero rows), which
    sort to the end, so the vector is the molecule's spectrum padded with zeros.

    **Returns:** `(n,)` eigenvalues.
    """
    eigenvalues = jnp.linalg.eigvalsh(coulomb_matrix(atomic_numbers, positions, mask))
    return eigenvalues[jnp.argsort(-jnp.abs(eigenvalues))]


def _one_hot(atomic_numbers, mask, species, dtype):
    species = jnp.asarray(tuple(species))
    return ((atomic_numbers[:, None] == species[None, :]) & mask[:, None]).astype(dtype)


def _check_species(species: Sequence[int]) -> tuple[int, ...]:
    species = tuple(int(s) for s in species)
    if not species or len(set(species)) != len(species) or min(species) < 1:
        raise ValueError(
            f"species must be distinct atomic numbers >= 1, e.g. (1, 6, 7, 8, 9) for QM9; "
            f"got {species!r}."
        )
    return species


def radial_symmetry_functions(
    atomic_numbers: Array,
    positions: Float[Array, "n 3"],
    mask: Array,
    *,
    species: Sequence[int],
    eta,
    r_s,
    r_cut: float,
) -> Float[Array, "n species radial"]:
    """Behler-Parrinello radial symmetry functions, resolved by neighbour species:

    `G2_i[s, k] = sum_{j != i, Z_j = s} exp(-eta_k (r_ij - r_s_k)^2) f_c(r_ij)`

    (Behler, J. Chem. Phys. 134, 074106 (2011), eq. 6; `f_c` is `cosine_cutoff`).

    **Arguments:**

    - `atomic_numbers`, `positions`, `mask`: one padded molecule.
    - `species`: the neighbour species resolved, e.g. `(1, 6, 7, 8, 9)`; other elements
      are ignored.
    - `eta`, `r_s`: widths (1/length^2) and centres (length), broadcast to one 1-D list
      of `(eta_k, r_s_k)` pairs (pass a flattened `meshgrid` for a full grid).
    - `r_cut`: the cutoff radius.

    **Returns:** `(n, len(species), K)`; rows of padding atoms are zero.
    """
    species = _check_species(species)
    eta, r_s = (jnp.ravel(x) for x in jnp.broadcast_arrays(jnp.asarray(eta), jnp.asarray(r_s)))
    _, r, valid = _distances(positions, mask)
    weight = jnp.where(valid, cosine_cutoff(r, r_cut), 0.0)
    gauss = jnp.exp(-eta * (r[..., None] - r_s) ** 2) * weight[..., None]  # (n, n, K)
    onehot = _one_hot(atomic_numbers, mask, species, positions.dtype)
    return jnp.einsum("ijk,js->isk", gauss, onehot)


def angular_symmetry_functions(
    atomic_numbers: Array,
    positions: Float[Array, "n 3"],
    mask: Array,
    *,
    species: Sequence[int],
    zeta,
    lambda_,
    eta,
    r_cut: float,
) -> Float[Array, "n pairs angular"]:
    """Behler-Parrinello angular symmetry functions (G4), resolved by neighbour-pair species:

    `G4_i[(a, b), k] = 2^(1 - zeta_k) sum_{j < k', j, k' != i}
    (1 + lambda_k cos(theta_ijk'))^zeta_k exp(-eta_k (r_ij^2 + r_ik'^2 + r_jk'^2))
    f_c(r_ij) f_c(r_ik') f_c(r_jk')`,

    summed over the unordered neighbour pairs `{j, k'}` whose species are `{a, b}`, with
    `theta_ijk'` the angle at atom i. Each angle counts once (as in n2p2); codes summing over
    ordered pairs, as Behler 2011 eq. 8 is sometimes read, get twice these values.

    **Arguments:**

    - `species`: as in `radial_symmetry_functions`; the species pairs are ordered
      `(s_0, s_0), (s_0, s_1), ..., (s_1, s_1), ...` (upper triangle, row by row).
    - `zeta` (>= 1), `lambda_` (+1 or -1), `eta` (1/length^2): broadcast to one 1-D list.
    - `r_cut`: the cutoff radius.

    **Returns:** `(n, S(S+1)/2, L)` for `S = len(species)`; rows of padding atoms are zero.
    """
    species = _check_species(species)
    zeta, lambda_, eta = (
        jnp.ravel(x)
        for x in jnp.broadcast_arrays(jnp.asarray(zeta), jnp.asarray(lambda_), jnp.asarray(eta))
    )
    displacement, r, valid = _distances(positions, mask)
    fc = jnp.where(valid, cosine_cutoff(r, r_cut), 0.0)
    unit = displacement / r[..., None]
    cosine = jnp.einsum("ijx,ikx->ijk", unit, unit)
    # valid[i, j] & valid[i, k] & valid[j, k] via the cutoff weights (0 on invalid pairs)
    weight = fc[:, :, None] * fc[:, None, :] * fc[None, :, :]
    r2 = jnp.where(valid, r**2, 0.0)
    radial = r2[:, :, None] + r2[:, None, :] + r2[None, :, :]
    # 1 + lambda cos >= 0 up to rounding; clip so a fractional zeta never sees a negative base
    base = jnp.maximum(1.0 + lambda_ * cosine[..., None], 0.0)
    terms = 2.0 ** (1.0 - zeta) * base**zeta * jnp.exp(-eta * radial[..., None])
    terms = terms * weight[..., None]  # (n, n, n, L), symmetric in j <-> k
    onehot = _one_hot(atomic_numbers, mask, species, positions.dtype)
    ordered = jnp.einsum("ijkl,ja,kb->iabl", terms, onehot, onehot)
    a, b = np.triu_indices(len(species))
    # over ordered pairs (j, k) every unordered pair of equal species is counted twice
    return ordered[:, a, b] * jnp.where(jnp.asarray(a == b), 0.5, 1.0)[:, None]


def atom_symmetry_functions(
    atomic_numbers: Array,
    positions: Float[Array, "n 3"],
    mask: Array,
    *,
    species: Sequence[int],
    radial: tuple,
    angular: tuple | None,
    r_cut: float,
) -> Float[Array, "n features"]:
    """Per-atom feature vectors: the radial then the angular symmetry functions, flattened.

    **Arguments:**

    - `species`, `r_cut`: as in `radial_symmetry_functions`.
    - `radial`: `(eta, r_s)`; `angular`: `(zeta, lambda_, eta)` or None for radial only.

    **Returns:** `(n, S K + S(S+1)/2 L)`; rows of padding atoms are zero.
    """
    n = positions.shape[0]
    eta, r_s = radial
    parts = [
        radial_symmetry_functions(
            atomic_numbers, positions, mask, species=species, eta=eta, r_s=r_s, r_cut=r_cut
        ).reshape(n, -1)
    ]
    if angular is not None:
        zeta, lambda_, eta_angular = angular
        g4 = angular_symmetry_functions(
            atomic_numbers,
            positions,
            mask,
            species=species,
            zeta=zeta,
            lambda_=lambda_,
            eta=eta_angular,
            r_cut=r_cut,
        )
        parts.append(g4.reshape(n, -1))
    return jnp.concatenate(parts, axis=1)


def molecule_symmetry_functions(
    atomic_numbers: Array,
    positions: Float[Array, "n 3"],
    mask: Array,
    *,
    species: Sequence[int],
    radial: tuple,
    angular: tuple | None,
    r_cut: float,
) -> Float[Array, " species*features"]:
    """A fixed-length molecular descriptor: the per-atom symmetry functions summed over the
    atoms of each central species,

    `D[c] = sum_{i: Z_i = c} G_i`,  concatenated over `c` in `species`,

    the additive (per-element) structure of a Behler-Parrinello network's energy, usable
    with any regressor (kernel ridge, an MLP) at the molecule level.

    **Arguments:** as `atom_symmetry_functions`.

    **Returns:** `(S F,)` for `S = len(species)` and `F` per-atom features.

    **Example:**

    ```python
    describe = functools.partial(
        nn.molecule_symmetry_functions, species=(1, 6, 7, 8, 9),
        radial=(4.0, jnp.linspace(0.8, 4.5, 8)), angular=(1.0, jnp.array([1.0, -1.0]), 0.05),
        r_cut=5.0,
    )
    features = jax.vmap(describe)(qm9.atomic_numbers, qm9.positions, qm9.node_mask)
    ```
    """
    per_atom = atom_symmetry_functions(
        atomic_numbers,
        positions,
        mask,
        species=species,
        radial=radial,
        angular=angular,
        r_cut=r_cut,
    )
    onehot = _one_hot(atomic_numbers, mask, _check_species(species), positions.dtype)
    return jnp.einsum("ic,if->cf", onehot, per_atom).reshape(-1)
