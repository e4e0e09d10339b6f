"""A learned interatomic potential: a network's per-atom energies, scaled, plus per-species
reference energies; forces and stress by differentiation.

$$ E = \\sum_i \\big( s\\, \\varepsilon_\\theta(i) + E^{\\text{ref}}_{Z_i} \\big), \\qquad
   F_i = -\\frac{\\partial E}{\\partial r_i}, \\qquad
   \\sigma = \\frac{1}{V} \\frac{\\partial E}{\\partial \\varepsilon} $$

`E_ref` is fitted by least squares of the training energies on the element counts
(`fit_reference_energies`), so the network learns only what composition does not explain
(for QM9, the atomisation part); `s` puts the network's O(1) outputs on the data's
energy scale. Forces are the exact gradient of the energy, so the potential is
conservative by construction and NVE conserves its total energy.

The network is any `sciml_jax.nn` interatomic model: `model(species, positions,
neighbors, space, node_mask) -> (n,)` per-atom energies, 0 on padding.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import nn
from .._types import Array, Key
from ..atoms import AbstractSpace, FreeSpace
from ..atoms import stress as virial_stress

MODELS = {"schnet": nn.SchNet, "painn": nn.PaiNN, "nequip": nn.NequIP}


class Potential(eqx.Module):
    """`model` + `reference_energies` `(S,)` eV + `scale` eV, for elements `atomic_numbers`.

    - `atomic_numbers`: static tuple; species index `k` is element `atomic_numbers[k]`.
    - `cutoff`: static, Å; the model's interaction range (neighbour lists are built
      with it).
    """

    model: eqx.Module
    reference_energies: Array
    scale: Array
    atomic_numbers: tuple[int, ...] = eqx.field(static=True)
    cutoff: float = eqx.field(static=True)

    def species_of(self, atomic_numbers) -> np.ndarray:
        """Species indices of `atomic_numbers` (host side); a clear error for unknown ones."""
        numbers = np.asarray(atomic_numbers)
        table = {z: k for k, z in enumerate(self.atomic_numbers)}
        unknown = sorted({int(z) for z in np.unique(numbers)} - set(table) - {0})
        if unknown:
            raise ValueError(
                f"atomic numbers {unknown} are not among this potential's elements "
                f"{list(self.atomic_numbers)}; it can only evaluate what it was trained on."
            )
        return np.vectorize(lambda z: table.get(int(z), 0), otypes=[np.int32])(numbers)

    def atom_energies(self, species, positions, neighbors, space=None, node_mask=None):
        """Per-atom energies `(n,)` eV (0 on padded atoms)."""
        space = FreeSpace() if space is None else space
        if node_mask is None:
            node_mask = jnp.ones(species.shape, bool)
        learned = self.model(species, positions, neighbors, space, node_mask)
        energies = self.scale * learned + self.reference_energies[species]
        return jnp.where(node_mask, energies, 0.0)

    def energy(self, species, positions, neighbors, space=None, node_mask=None):
        """Total energy, eV."""
        return self.atom_energies(species, positions, neighbors, space, node_mask).sum()

    def energy_fn(self, species, space: AbstractSpace, node_mask=None):
        """`energy_fn(positions, neighbors=None, *, space=None)` for `sciml_jax.sim`'s
        integrators and `atoms.stress` (which passes a strained `space=`)."""
        default_space = space

        def energy_fn(positions, neighbors=None, *, space=None):
            if neighbors is None:
                raise ValueError(
                    "a learned potential needs a full neighbour list: build one with "
                    f"atoms.neighbor_list(space, positions, cutoff={self.cutoff}, half=False)."
                )
            space = default_space if space is None else space
            return self.energy(species, positions, neighbors, space, node_mask)

        return energy_fn


def make_potential(
    kind: str,
    atomic_numbers,
    *,
    cutoff: float,
    key: Key,
    reference_energies=None,
    scale: float = 1.0,
    **hyperparameters,
) -> Potential:
    """An untrained `Potential` around `sciml_jax.nn` model `kind` (schnet, painn, nequip).

    `hyperparameters` go to the model's constructor (`features`, `interactions`, ...).
    """
    if kind not in MODELS:
        raise ValueError(f"model {kind!r} is not one of {sorted(MODELS)}.")
    atomic_numbers = tuple(int(z) for z in atomic_numbers)
    if len(set(atomic_numbers)) != len(atomic_numbers) or min(atomic_numbers) < 1:
        raise ValueError(f"atomic_numbers={atomic_numbers} must be distinct and >= 1.")
    model = MODELS[kind](len(atomic_numbers), cutoff=cutoff, key=key, **hyperparameters)
    if reference_energies is None:
        reference_energies = jnp.zeros(len(atomic_numbers))
    return Potential(
        model=model,
        reference_energies=jnp.asarray(reference_energies, dtype=float),
        scale=jnp.asarray(scale, dtype=float),
        atomic_numbers=atomic_numbers,
        cutoff=float(cutoff),
    )


def fit_reference_energies(species, node_mask, energy, num_species: int) -> np.ndarray:
    """Per-species energies `(S,)` from least squares of `energy` on element counts.

    A species absent from the set gets 0. `species`, `node_mask` `(m, n_max)`,
    `energy` `(m,)`.
    """
    species, node_mask = np.asarray(species), np.asarray(node_mask, bool)
    counts = np.stack([((species == k) & node_mask).sum(axis=1) for k in range(num_species)], 1)
    solution, *_ = np.linalg.lstsq(counts.astype(float), np.asarray(energy, float), rcond=None)
    return np.where(counts.sum(axis=0) > 0, solution, 0.0)


def with_statistics(potential: Potential, graphs) -> Potential:
    """`potential` with reference energies fitted to `graphs` and `scale` set to the RMS
    of the residual per-atom energy (or of the force components, where forces are known),
    so the network starts on the data's scale."""
    refs = fit_reference_energies(
        graphs.species, graphs.node_mask, graphs.energy, len(potential.atomic_numbers)
    )
    mask = np.asarray(graphs.node_mask)
    if graphs.forces is not None:
        components = np.asarray(graphs.forces)[mask]
        scale = float(np.sqrt(np.mean(components**2)))
    else:
        counts = np.stack(
            [((np.asarray(graphs.species) == k) & mask).sum(1) for k in range(len(refs))], 1
        )
        residual = (np.asarray(graphs.energy) - counts @ refs) / mask.sum(1)
        scale = float(np.sqrt(np.mean(residual**2)))
    dtype = potential.scale.dtype
    return eqx.tree_at(
        lambda p: (p.reference_energies, p.scale),
        potential,
        (jnp.asarray(refs, dtype), jnp.asarray(max(scale, 1e-6), dtype)),
    )


def predict_batch(potential: Potential, graphs, *, forces: bool = True, stress: bool = False):
    """Energies `(m,)` and, optionally, forces `(m, n_max, 3)` and stress `(m, 3, 3)` of every
    configuration in `graphs` (vmapped; chunk large sets outside)."""

    def one(species, positions, node_mask, cell, neighbors):
        space = graphs.space(cell)
        fn = potential.energy_fn(species, space, node_mask)
        out = {}
        if forces:
            e, g = jax.value_and_grad(fn)(positions, neighbors)
            out["energy"], out["forces"] = e, -g
        else:
            out["energy"] = fn(positions, neighbors)
        if stress:
            out["stress"] = virial_stress(fn, space, positions, neighbors)
        return out

    return jax.vmap(one)(
        graphs.species, graphs.positions, graphs.node_mask, graphs.cells, graphs.neighbors
    )
