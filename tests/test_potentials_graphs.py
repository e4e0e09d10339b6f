"""Padded graph batches: pairs against ASE's own neighbour list, padding, reference energies."""

import numpy as np
import pytest
from ase.build import bulk, molecule
from ase.neighborlist import neighbor_list as ase_neighbor_list

from sciml_jax.potentials import build_graphs, fit_reference_energies


def _triples(senders, receivers, shifts, mask):
    senders, receivers, shifts, mask = map(np.asarray, (senders, receivers, shifts, mask))
    return sorted(
        (int(i), int(j), *map(int, np.rint(s)))
        for i, j, s, m in zip(senders, receivers, shifts, mask, strict=True)
        if m
    )


@pytest.mark.parametrize("cutoff", [3.0, 5.0, 7.5])
def test_periodic_pairs_equal_ase_neighbor_list_for_a_strained_triclinic_cell(cutoff):
    atoms = bulk("Cu", "fcc", a=3.61).repeat((2, 2, 1))  # primitive cell: triclinic, thin
    atoms.set_cell(
        atoms.cell.array @ np.array([[1.02, 0.01, 0], [0, 0.99, 0.02], [0, 0, 1.01]]),
        scale_atoms=True,
    )
    atoms.rattle(0.05, seed=1)
    n = len(atoms)
    graphs = build_graphs(
        atoms.positions[None],
        np.zeros((1, n), int),
        np.ones((1, n), bool),
        cutoff,
        cells=atoms.cell.array[None],
    )
    nbrs = graphs.neighbors
    ours = _triples(nbrs.senders[0], nbrs.receivers[0], nbrs.shifts[0], nbrs.mask[0])
    i, j, s = ase_neighbor_list("ijS", atoms, cutoff)
    theirs = sorted((int(a), int(b), *map(int, c)) for a, b, c in zip(i, j, s, strict=True))
    assert ours == theirs
    assert len(ours) > 4 * n  # images of a thin cell are listed (several per atom pair)


def test_molecules_padded_to_one_shape_keep_only_real_pairs():
    water, methane = molecule("H2O"), molecule("CH4")
    positions = np.zeros((2, 5, 3))
    positions[0, :3], positions[1] = water.positions, methane.positions
    positions[0, 3:] = 100.0  # padding far away, and masked: must not appear either way
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    graphs = build_graphs(positions, np.zeros((2, 5), int), mask, 5.0)
    counts = np.asarray(graphs.neighbors.mask.sum(axis=1))
    assert counts.tolist() == [3 * 2, 5 * 4]  # every ordered pair within 5 Å, no self pairs
    assert graphs.capacity % 64 == 0 and not graphs.periodic
    real = np.asarray(graphs.neighbors.mask[0])
    assert np.asarray(graphs.neighbors.receivers[0])[real].max() < 3
    with pytest.raises(ValueError, match="capacity=4 pair slots"):
        build_graphs(positions, np.zeros((2, 5), int), mask, 5.0, capacity=4)


def test_reference_energies_recover_exact_per_element_energies():
    rng = np.random.default_rng(0)
    species = rng.integers(0, 3, size=(40, 9))
    mask = rng.random((40, 9)) < 0.8
    per_species = np.array([-13.6, -1029.0, -2041.5])
    energy = (per_species[species] * mask).sum(axis=1)
    refs = fit_reference_energies(species, mask, energy, num_species=4)  # species 3 absent
    np.testing.assert_allclose(refs, [*per_species, 0.0], rtol=1e-10)
