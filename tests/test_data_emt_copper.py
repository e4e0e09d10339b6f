"""EMT copper: every label against EMT recomputed on Atoms rebuilt from the arrays, ASE's
stress sign convention against a finite difference of the energy, symmetry (zero forces in
the perfect lattice, forces summing to zero), strains as specified, potential energy rising
with the MD temperature, and the stratified split."""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.emt import EMT

from sciml_jax.data import emt_copper_dataset, emt_copper_split

SMALL = dict(
    n_md_frames_per_temperature=3,
    temperatures=(300.0, 900.0, 1500.0),
    md_frame_interval_steps=5,
    md_equilibration_steps=40,
    n_fcc=3,
    n_strained=3,
    n_vacancy=3,
    repeat=2,
)


@pytest.fixture(scope="module")
def cu(tmp_path_factory):
    return emt_copper_dataset(**SMALL, cache_dir=tmp_path_factory.mktemp("emt"))


def _rebuild(cu, row):
    mask = cu.node_mask[row]
    atoms = Atoms(
        numbers=cu.atomic_numbers[row][mask],
        positions=cu.positions[row][mask],
        cell=cu.cells[row],
        pbc=True,
    )
    atoms.calc = EMT()
    return atoms


def test_kinds_counts_and_padding(cu):
    kinds = cu.kind.tolist()
    assert kinds.count("fcc") == 3 and kinds.count("strained") == 3
    assert kinds.count("vacancy") == 3
    assert [kinds.count(f"md{t}") for t in (300, 900, 1500)] == [3, 3, 3]
    assert len(cu) == 18 and cu.positions.shape == (18, 32, 3)
    vacancy = cu.kind == "vacancy"
    assert np.all(cu.n_atoms[vacancy] == 31) and np.all(cu.n_atoms[~vacancy] == 32)
    assert np.all(cu.atomic_numbers[cu.node_mask] == 29)
    assert np.all(cu.atomic_numbers[~cu.node_mask] == 0)
    assert np.all(cu.forces[~cu.node_mask] == 0.0)
    np.testing.assert_array_equal(cu.temperature[cu.kind == "md900"], 900.0)
    np.testing.assert_array_equal(cu.temperature[~np.char.startswith(cu.kind, "md")], 0.0)


def test_labels_equal_emt_recomputed(cu):
    for row in range(len(cu)):
        atoms = _rebuild(cu, row)
        n = cu.n_atoms[row]
        np.testing.assert_allclose(cu.energy[row], atoms.get_potential_energy(), rtol=1e-12)
        np.testing.assert_allclose(cu.forces[row, :n], atoms.get_forces(), atol=1e-12)
        np.testing.assert_allclose(cu.stress[row], atoms.get_stress(voigt=False), atol=1e-12)
        # translation invariance of EMT: the net force vanishes
        np.testing.assert_allclose(cu.forces[row].sum(0), 0.0, atol=1e-10)
        # the stress tensor is symmetric
        np.testing.assert_allclose(cu.stress[row], cu.stress[row].T, atol=1e-14)


def test_perfect_lattice_and_volume_grid(cu):
    fcc = np.flatnonzero(cu.kind == "fcc")
    np.testing.assert_allclose(cu.forces[fcc], 0.0, atol=1e-10)
    volumes = np.abs(np.linalg.det(cu.cells[fcc]))
    np.testing.assert_allclose(volumes / (2 * 3.61) ** 3, [0.97, 1.0, 1.03], rtol=1e-12)
    # EMT's own minimum is near a = 3.59 A: compressed below it (V = 0.97 V0, a = 3.575 A)
    # the pressure -tr(stress)/3 is positive, stretched (a = 3.61, 3.646 A) it is negative.
    pressure = -np.trace(cu.stress[fcc], axis1=1, axis2=2) / 3
    assert pressure[0] > 0 > pressure[1] > pressure[2]


def test_stress_sign_convention_is_dE_dstrain_over_volume(cu):
    row = int(np.flatnonzero(cu.kind == "strained")[0])
    atoms = _rebuild(cu, row)
    cell, volume, h = np.asarray(atoms.get_cell()), atoms.get_volume(), 1e-5
    for i, j in ((0, 0), (1, 2)):
        energies = []
        for sign in (1, -1):
            eps = np.zeros((3, 3))
            eps[i, j] = eps[j, i] = sign * h / (2 if i != j else 1)
            strained = atoms.copy()
            strained.calc = EMT()
            strained.set_cell(cell @ (np.eye(3) + eps), scale_atoms=True)
            energies.append(strained.get_potential_energy())
        # d E / d eps_ij for a symmetric strain (both eps_ij and eps_ji moved for i != j)
        derivative = (energies[0] - energies[1]) / (2 * h) / volume
        np.testing.assert_allclose(cu.stress[row, i, j], derivative, rtol=1e-5, atol=1e-9)


def test_strained_cells_follow_the_recipe(cu):
    base = np.eye(3) * 2 * 3.61
    for row in np.flatnonzero(cu.kind == "strained"):
        strain = cu.cells[row] @ np.linalg.inv(base) - np.eye(3)
        np.testing.assert_allclose(strain, strain.T, atol=1e-14)
        assert np.all(np.abs(strain[~np.eye(3, dtype=bool)]) <= 0.02)
        # the volumetric part spans 1 -+ 0.03; shears change the volume at second order
        volume_ratio = np.linalg.det(np.eye(3) + strain)
        assert 0.97 - 3 * 0.02**2 <= volume_ratio <= 1.03 + 3 * 0.02**2
        assert np.abs(cu.forces[row]).max() > 0.05  # rattled: real forces to learn


def test_vacancy_relaxation_lowers_the_energy(cu):
    ideal, relaxed, rattled = np.flatnonzero(cu.kind == "vacancy")
    assert np.abs(cu.forces[relaxed]).max() < 0.01 + 1e-12
    assert cu.energy[relaxed] < cu.energy[ideal] < cu.energy[rattled]
    # formation energy E_vac - (N-1)/N E_bulk at a = 3.61 A: EMT's Cu vacancy, ~1.1-1.3 eV
    bulk = cu.energy[np.flatnonzero(cu.kind == "fcc")[1]]
    formation = cu.energy[relaxed] - 31 / 32 * bulk
    assert 0.9 < formation < 1.5


def test_potential_energy_rises_with_temperature(cu):
    means = [cu.energy[cu.kind == f"md{t}"].mean() for t in (300, 900, 1500)]
    assert means[0] < means[1] < means[2]
    # equipartition of a harmonic crystal: dE_pot/dT ~ (3/2) N k_B, within 30 %
    slope = (means[2] - means[0]) / 1200 / 32
    assert abs(slope / (1.5 * 8.617333e-5) - 1) < 0.3


def test_full_size_cells_have_108_and_107_atoms(tmp_path):
    cu = emt_copper_dataset(temperatures=(), n_fcc=1, n_strained=0, n_vacancy=1, cache_dir=tmp_path)
    assert cu.kind.tolist() == ["fcc", "vacancy"] and cu.n_atoms.tolist() == [108, 107]
    np.testing.assert_allclose(cu.cells[0], np.eye(3) * 3 * 3.61, atol=1e-12)
    atoms = cu.to_ase(1)
    atoms.calc = EMT()
    np.testing.assert_allclose(atoms.get_potential_energy(), cu.energy[1], rtol=1e-12)


def test_split_is_stratified_and_blocks_md_in_time(cu):
    split = emt_copper_split(cu, seed=0, test_fraction=0.34)
    train, test = split["train"], split["test"]
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(len(cu)))
    for kind in set(cu.kind.tolist()):
        rows = np.flatnonzero(cu.kind == kind)
        held = np.intersect1d(rows, test)
        assert len(held) == 1, kind  # round(0.34 * 3)
        if kind.startswith("md"):
            assert held[0] == rows[-1]  # the last frame of the trajectory
    np.testing.assert_array_equal(emt_copper_split(cu, seed=0, test_fraction=0.34)["test"], test)
    with pytest.raises(ValueError, match="test_fraction must be in"):
        emt_copper_split(cu, test_fraction=1.0)


def test_cache_and_bad_arguments(tmp_path, monkeypatch):
    options = dict(temperatures=(), n_fcc=1, n_strained=0, n_vacancy=0, repeat=2)
    first = emt_copper_dataset(**options, cache_dir=tmp_path)
    import sciml_jax.data._emt_copper as module

    def fail(recipe):
        raise AssertionError("regenerated although cached")

    monkeypatch.setattr(module, "_build", fail)
    second = emt_copper_dataset(**options, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.energy, second.energy)
    with pytest.raises(ValueError, match="repeat must be an int >= 2"):
        emt_copper_dataset(repeat=1, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="n_strained must be an int >= 0, got -1"):
        emt_copper_dataset(n_strained=-1, cache_dir=tmp_path)
