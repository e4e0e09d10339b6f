"""ASE conversion, extended-XYZ trajectories, and observables checked against ASE."""

import subprocess
import sys
import textwrap

import ase.io
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.lj import LennardJones

from sciml_jax.atoms import (
    ExtXYZWriter,
    FreeSpace,
    PeriodicSpace,
    from_ase,
    kinetic_energy,
    lennard_jones_ase,
    mean_square_displacement,
    pressure,
    radial_distribution,
    read_extxyz,
    temperature,
    to_ase,
)


def triclinic_atoms(rng, n_repeat=2):
    atoms = bulk("Cu", "fcc", a=3.6).repeat(n_repeat)  # primitive fcc: a triclinic cell
    atoms.positions += rng.normal(scale=0.1, size=atoms.positions.shape)
    atoms.numbers[::2] = 47  # Cu and Ag
    atoms.set_masses(atoms.get_masses() * rng.uniform(0.9, 1.1, len(atoms)))
    return atoms


def test_round_trip_is_exact(x64):
    rng = np.random.default_rng(0)
    atoms = triclinic_atoms(rng)
    positions, space, numbers, masses = from_ase(atoms)
    assert isinstance(space, PeriodicSpace)
    back = to_ase(positions, space, numbers, masses=masses)
    np.testing.assert_array_equal(back.positions, atoms.positions)
    np.testing.assert_array_equal(back.cell.array, atoms.cell.array)
    np.testing.assert_array_equal(back.numbers, atoms.numbers)
    np.testing.assert_array_equal(back.get_masses(), atoms.get_masses())
    assert back.pbc.all()

    molecule = Atoms("H2O", positions=rng.normal(size=(3, 3)), pbc=False)
    positions, space, numbers, masses = from_ase(molecule)
    assert isinstance(space, FreeSpace)
    back = to_ase(positions, space, numbers, masses=masses)
    np.testing.assert_array_equal(back.positions, molecule.positions)
    assert not back.pbc.any() and back.get_chemical_formula() == "H2O"


def test_bad_input():
    atoms = bulk("Cu", "fcc", a=3.6)
    slab = atoms.copy()
    slab.pbc = [True, True, False]
    with pytest.raises(ValueError, match="mixed periodicity"):
        from_ase(slab)
    flat = Atoms(
        "Cu2", positions=np.zeros((2, 3)), cell=[[3, 0, 0], [0, 3, 0], [3, 3, 0]], pbc=True
    )
    with pytest.raises(ValueError, match="singular"):
        from_ase(flat)
    broken = atoms.copy()
    broken.positions[0, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite positions"):
        from_ase(broken)
    positions, space, numbers, _ = from_ase(atoms.repeat(2))
    with pytest.raises(ValueError, match="one atomic number per atom"):
        to_ase(positions, space, numbers[:-1])
    with pytest.raises(ValueError, match=r"ASE needs \(N, 3\)"):
        to_ase(positions[:, :2], space, numbers)


def test_extxyz_frames_read_back_with_energy_forces_cell(tmp_path, x64):
    rng = np.random.default_rng(1)
    atoms = triclinic_atoms(rng, n_repeat=4)  # widths 8.3 > 2 rc
    positions, space, numbers, _ = from_ase(atoms)
    energy_fn = lennard_jones_ase(space, sigma=2.3, epsilon=0.4, rc=4.0, smooth=True)
    path = tmp_path / "trajectory.extxyz"
    frames = []
    with ExtXYZWriter(path, numbers) as writer:
        for step in range(3):
            r = positions + 0.05 * step
            e, g = jax.value_and_grad(energy_fn)(r)
            writer.write(r, space, energy=e, forces=-g, step=step)
            frames.append((r, float(e), -np.asarray(g)))
    read = ase.io.read(path, index=":")
    assert len(read) == 3
    for atoms_k, (r, e, f) in zip(read, frames, strict=True):
        np.testing.assert_allclose(atoms_k.positions, r, atol=1e-7)
        np.testing.assert_allclose(atoms_k.cell.array, np.asarray(space.cell), atol=1e-7)
        assert atoms_k.pbc.all()
        assert abs(atoms_k.get_potential_energy() - e) < 1e-7 * max(1, abs(e))
        np.testing.assert_allclose(atoms_k.get_forces(), f, atol=1e-7)
    assert [a.info["step"] for a in read] == [0, 1, 2]

    # a torn last frame (a kill inside a write) is dropped by read_extxyz, with a warning
    with open(path, "a") as handle:
        handle.write(
            f'{len(atoms)}\nLattice="1 0 0 0 1 0 0 0 1" Properties=species:S:1:pos:R:3\nCu 0.0'
        )
    with pytest.warns(UserWarning, match="torn frame"):
        assert len(read_extxyz(path)) == 3


def test_killed_writer_leaves_whole_frames(tmp_path):
    path = tmp_path / "killed.extxyz"
    script = textwrap.dedent(
        f"""
        import os, signal
        import numpy as np
        from sciml_jax.atoms import ExtXYZWriter, PeriodicSpace
        space = PeriodicSpace(np.eye(3) * 5.0)
        writer = ExtXYZWriter({str(path)!r}, np.full(4, 18))
        for step in range(5):
            r = np.random.default_rng(step).uniform(0, 5, (4, 3))
            writer.write(r, space, energy=-1.0 * step, forces=np.zeros((4, 3)), step=step)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env={"JAX_PLATFORMS": "cpu", "PATH": ""}, check=False
    )
    assert result.returncode == -9
    frames = ase.io.read(path, index=":")
    assert [a.get_potential_energy() for a in frames] == [0.0, -1.0, -2.0, -3.0, -4.0]


def test_observables(x64):
    rng = np.random.default_rng(2)
    n = 64
    masses = rng.uniform(1, 3, n)
    v = rng.normal(size=(n, 3))
    v -= (masses[:, None] * v).sum(0) / masses.sum()
    ke = 0.5 * np.sum(masses[:, None] * v**2)
    assert abs(float(kinetic_energy(jnp.asarray(v), masses)) - ke) < 1e-12
    assert abs(float(temperature(jnp.asarray(v), masses)) - 2 * ke / (3 * n - 3)) < 1e-12
    # vmappable over frames
    stack = jnp.stack([jnp.asarray(v), 2 * jnp.asarray(v)])
    np.testing.assert_allclose(jax.vmap(kinetic_energy, (0, None))(stack, masses), [ke, 4 * ke])

    # pressure: virial + kinetic parts equal -Tr(ASE's stress with the ideal-gas term) / 3
    atoms = bulk("Ar", "fcc", a=5.3, cubic=True).repeat(2)
    atoms.positions += rng.normal(scale=0.15, size=atoms.positions.shape)
    atoms.set_momenta(rng.normal(scale=0.5, size=(len(atoms), 3)))
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=5.0, smooth=True)
    reference = -np.trace(atoms.get_stress(voigt=False, include_ideal_gas=True)) / 3
    positions, space, _, m = from_ase(atoms)
    energy_fn = lennard_jones_ase(space, sigma=3.4, epsilon=0.0104, rc=5.0, smooth=True)
    neighbors = None
    p = pressure(
        energy_fn, space, positions, neighbors, velocities=atoms.get_velocities(), masses=m
    )
    assert abs(float(p) - reference) < 1e-12 * max(1.0, abs(reference))
    # an ideal gas (no interactions): P V = N k T with the full 3N degrees of freedom
    zero = lambda r, nl=None, *, space=None: 0.0 * jnp.sum(r)  # noqa: E731
    v_ = jnp.asarray(atoms.get_velocities())
    p_ideal = pressure(zero, space, positions, velocities=v_, masses=m)
    kt_full = float(temperature(v_, m, dof=3 * len(atoms)))
    assert abs(float(p_ideal) * float(space.volume) - len(atoms) * kt_full) < 1e-12


def test_rdf_of_an_ideal_gas_is_one_and_msd(x64):
    rng = np.random.default_rng(3)
    cell = np.array([[10.0, 0, 0], [2.0, 9.0, 0], [-1.0, 1.5, 11.0]])
    space = PeriodicSpace(jnp.asarray(cell))
    frames = jnp.asarray(rng.uniform(size=(6, 300, 3)) @ cell)
    r, g = jax.vmap(lambda x: radial_distribution(x, space, r_max=4.0, bins=16))(frames)
    g_mean = np.asarray(g).mean(0)[4:]  # shells beyond r = 1 hold enough pairs
    # Poisson noise: ~ 1/sqrt(pairs per shell) ~ 3 %, six frames averaged
    assert np.abs(g_mean - 1).max() < 0.1, g_mean
    assert abs(g_mean.mean() - 1) < 0.02

    # MSD of ballistic motion r(t) = r0 + v t is <|v|^2> t^2
    v = rng.normal(size=(50, 3))
    t = np.linspace(0, 2, 11)
    trajectory = jnp.asarray(rng.normal(size=(50, 3)) + t[:, None, None] * v)
    msd = mean_square_displacement(trajectory)
    np.testing.assert_allclose(msd, (v**2).sum(1).mean() * t**2, rtol=1e-12, atol=1e-14)
