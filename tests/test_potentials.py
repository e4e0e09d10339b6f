"""Learned potentials end to end: the loss as defined, ASE's numerical derivatives through the
calculator, files round trip, padding, and NVE with a learned energy conserving energy."""

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress

from sciml_jax import potentials
from sciml_jax.atoms import PeriodicSpace, neighbor_list
from sciml_jax.sim import nve, simulate

CUTOFF = 4.0


@pytest.fixture
def potential(x64):
    """A small random SchNet potential for Cu and Ag, in float64."""
    p = potentials.make_potential(
        "schnet", [29, 47], cutoff=CUTOFF, key=jr.key(3), features=8, interactions=1
    )
    return eqx.tree_at(
        lambda q: (q.reference_energies, q.scale), p, (jnp.array([-3.5, -2.8]), jnp.array(0.3))
    )


def _alloy(seed=0, repeat=2):
    atoms = bulk("Cu", "fcc", a=3.7, cubic=True).repeat(repeat)
    atoms.numbers[::3] = 47  # some silver: two species
    atoms.rattle(0.1, seed=seed)
    return atoms


def _graphs(potential, configs, **labels):
    n_max = max(len(a) for a in configs)
    positions = np.zeros((len(configs), n_max, 3))
    numbers = np.zeros((len(configs), n_max), int)
    for k, a in enumerate(configs):
        positions[k, : len(a)], numbers[k, : len(a)] = a.positions, a.numbers
    return potentials.build_graphs(
        positions,
        potential.species_of(numbers),
        numbers > 0,
        potential.cutoff,
        cells=np.stack([a.cell.array for a in configs]),
        **labels,
    )


def test_calculator_forces_and_stress_equal_ase_numerical_derivatives(potential):
    atoms = _alloy()
    atoms.set_cell(atoms.cell.array @ np.array([[1, 0.03, 0], [0, 1, 0], [0.02, 0, 1]]), True)
    atoms.calc = potentials.SciMLCalculator(potential)
    forces = atoms.get_forces()
    numerical = calculate_numerical_forces(atoms, eps=1e-5, iatoms=[0, 1, 7])
    # central differences with eps = 1e-5 Å: agreement to ~1e-6 relative
    np.testing.assert_allclose(forces[[0, 1, 7]], numerical, rtol=1e-5, atol=1e-9)
    stress = atoms.get_stress()  # Voigt xx yy zz yz xz xy, ASE's sign
    numerical = calculate_numerical_stress(atoms, eps=1e-6)
    np.testing.assert_allclose(stress, numerical, rtol=1e-6, atol=1e-9)
    assert np.abs(stress).max() > 1e-4  # a strained, rattled cell is not stress free
    energies = atoms.get_potential_energies()
    assert np.isclose(energies.sum(), atoms.get_potential_energy(), rtol=1e-12)


def test_padded_batch_equals_each_configuration_alone(potential):
    vacancy = _alloy(1)
    del vacancy[5]
    configs = [_alloy(0), vacancy]
    batch = potentials.predict_batch(potential, _graphs(potential, configs), stress=True)
    for k, atoms in enumerate(configs):
        atoms.calc = potentials.SciMLCalculator(potential)
        n = len(atoms)
        assert np.isclose(float(batch["energy"][k]), atoms.get_potential_energy(), rtol=1e-12)
        np.testing.assert_allclose(batch["forces"][k][:n], atoms.get_forces(), atol=1e-12)
        assert np.all(np.asarray(batch["forces"][k][n:]) == 0.0)  # padding feels nothing
        stress = np.asarray(batch["stress"][k])
        np.testing.assert_allclose(stress[[0, 1, 2], [0, 1, 2]], atoms.get_stress()[:3], rtol=1e-10)


def test_loss_terms_equal_their_definition(potential):
    configs = [_alloy(s) for s in range(3)]
    rng = np.random.default_rng(0)
    n = len(configs[0])
    energy = rng.normal(-100, 1, 3)
    forces = rng.normal(0, 0.5, (3, n, 3))
    stress = rng.normal(0, 0.01, (3, 3, 3))
    graphs = _graphs(potential, configs, energy=energy, forces=forces, stress=stress)
    loss = potentials.energy_force_loss(energy_weight=2.0, force_weight=3.0, stress_weight=5.0)
    terms = loss(potential, graphs, None)
    pred = potentials.predict_batch(potential, graphs, stress=True)
    unit = 0.3**2
    e = (np.asarray(pred["energy"]) - energy) / n
    f = np.asarray(pred["forces"]) - forces
    volume = np.array([abs(np.linalg.det(a.cell.array)) for a in configs])
    s = (np.asarray(pred["stress"]) - stress) * (volume / n)[:, None, None]
    assert np.isclose(float(terms["energy"]), 2.0 * np.mean(e**2) / unit, rtol=1e-12)
    assert np.isclose(float(terms["forces"]), 3.0 * np.mean(f**2) / unit, rtol=1e-12)
    assert np.isclose(float(terms["stress"]), 5.0 * np.mean(s**2) / unit, rtol=1e-12)


def test_saved_potential_loads_back_bit_identical(potential, tmp_path):
    potentials.save_potential(
        tmp_path, potential, kind="schnet", hyperparameters={"features": 8, "interactions": 1}
    )
    atoms = _alloy(2)
    atoms.calc = potentials.SciMLCalculator(potential)
    before = atoms.get_potential_energy(), atoms.get_forces()
    atoms.calc = potentials.SciMLCalculator.from_run(tmp_path)
    assert atoms.get_potential_energy() == before[0]
    assert np.array_equal(atoms.get_forces(), before[1])
    with pytest.raises(ValueError, match=r"atomic numbers \[26\]"):
        atoms.numbers[0] = 26
        atoms.get_potential_energy()
    with pytest.raises(FileNotFoundError, match="finished run"):
        potentials.SciMLCalculator.from_run(tmp_path / "nothing")


def test_nve_with_a_learned_energy_conserves_energy(potential):
    atoms = _alloy(4)
    space = PeriodicSpace(jnp.asarray(atoms.cell.array))
    positions = jnp.asarray(atoms.positions)
    species = jnp.asarray(potential.species_of(atoms.numbers))
    energy_fn = potential.energy_fn(species, space)
    nbrs = neighbor_list(space, positions, CUTOFF, skin=0.5, half=False)
    init_fn, apply_fn = nve(energy_fn, space, dt=0.05)  # ~0.5 fs in ASE units
    state = init_fn(jr.key(0), positions, kT=0.05, masses=63.5, neighbors=nbrs)
    e0 = float(state.potential_energy + state.kinetic_energy)
    state, records = simulate(apply_fn, state, 400, space=space, chunk_size=100)
    drift = np.max(np.abs(records["total_energy"] - e0))
    swing = np.ptp(records["kinetic_energy"])
    assert drift < 1e-3 * swing  # energy flows between kinetic and potential, total stays
    assert records["rebuilds"].sum() >= 0
