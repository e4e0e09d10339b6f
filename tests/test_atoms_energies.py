"""Classical energies of sciml_jax.atoms against ASE's LennardJones, closed forms and symmetry.

Tolerances: ASE agreement 1e-10 absolute in float64 (both sides sum the same terms in a
different order; the measured differences are ~1e-13). Symmetry: 1e-12 relative in
float64 and 1e-5 in float32, the issue's figures (float32 round-off over ~200 pair terms
is ~1e-6).
"""

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ase import Atoms
from ase.calculators.lj import LennardJones

from sciml_jax.atoms import (
    FreeSpace,
    NeighborList,
    PeriodicSpace,
    energy_and_forces,
    forces,
    gaussian_bond,
    harmonic_bond,
    lennard_jones,
    lennard_jones_ase,
    morse,
    soft_sphere,
    stress,
)


def all_pairs_list(positions, cell, cutoff, *, half=True, padding=5, capacity=None) -> NeighborList:
    """Brute force over all pairs and enough images (stands in for the cell-list builder).

    Positions may be unwrapped: images are searched from the wrapped positions and the
    offsets corrected by each particle's cell index `k`, `r = w + k C`.
    """
    positions = np.asarray(positions, dtype=float)
    n, d = positions.shape
    if cell is None:
        cell_np, wrapped, k = np.zeros((d, d)), positions, np.zeros((n, d))
        images = np.zeros((1, d))
    else:
        cell_np = np.asarray(cell, dtype=float)
        frac = positions @ np.linalg.inv(cell_np)
        k = np.floor(frac)
        wrapped = (frac - k) @ cell_np
        widths = 1.0 / np.linalg.norm(np.linalg.inv(cell_np).T, axis=1)
        reach = np.ceil(cutoff / widths).astype(int) + 1
        images = np.array(list(itertools.product(*(range(-q, q + 1) for q in reach))), float)
    i, j, m = (
        a.reshape(-1)
        for a in np.meshgrid(np.arange(n), np.arange(n), np.arange(len(images)), indexing="ij")
    )
    vectors = wrapped[j] - wrapped[i] + images[m] @ cell_np
    keep = np.linalg.norm(vectors, axis=1) < cutoff
    keep &= ~((i == j) & ~images[m].any(axis=1))
    shifts = images[m] - k[j] + k[i]
    if half:
        # one of (i, j, n) and (j, i, -n): i < j, or for i == j the lexicographically larger n
        lexi = np.array([tuple(a) > tuple(-a) for a in images])
        keep &= (i < j) | ((i == j) & lexi[m])
    senders, receivers, shifts = i[keep], j[keep], shifts[keep]
    count = len(senders)
    if capacity is not None:  # a fixed capacity: one compilation for several configurations
        assert count <= capacity, (count, capacity)
        padding = capacity - count
    dtype = jnp.zeros(()).dtype
    return NeighborList(
        senders=jnp.asarray(np.concatenate([senders, np.zeros(padding, int)]), jnp.int32),
        receivers=jnp.asarray(np.concatenate([receivers, np.zeros(padding, int)]), jnp.int32),
        shifts=jnp.asarray(np.concatenate([shifts, np.zeros((padding, d))]), dtype),
        mask=jnp.asarray(np.arange(count + padding) < count),
        reference_positions=jnp.asarray(positions, dtype),
        overflow=jnp.asarray(False),
        count=jnp.asarray(count, jnp.int32),
        cutoff=float(cutoff),
        skin=0.0,
        half=half,
    )


def random_cell(rng, kind, width=7.0):
    if kind == "orthorhombic":
        return np.diag(width * rng.uniform(1.0, 1.15, 3))
    cell = np.diag(width * rng.uniform(1.0, 1.15, 3))
    cell[1, 0], cell[2, 0], cell[2, 1] = width * rng.uniform(-0.3, 0.3, 3)  # tilted rows
    return cell


def random_atoms(rng, kind, n=32, width=7.0, min_distance=0.95) -> Atoms:
    cell = random_cell(rng, kind, width)
    while True:
        atoms = Atoms(f"Ar{n}", scaled_positions=rng.uniform(size=(n, 3)), cell=cell, pbc=True)
        distances = atoms.get_all_distances(mic=True) + 10 * np.eye(n)
        if distances.min() > min_distance:
            # shift by lattice vectors: unwrapped positions must work as well
            atoms.positions += rng.integers(-1, 2, size=(n, 3)) @ cell
            return atoms


ENERGIES = {
    "lennard_jones_ase": lennard_jones_ase,
    "lennard_jones": lennard_jones,
    "morse": lambda space: morse(space, sigma=1.1, epsilon=1.0, alpha=3.0),
    "soft_sphere": lambda space: soft_sphere(space, sigma=1.3),
}


@functools.partial(jax.jit, static_argnames=("name", "params"))
def evaluate(space, positions, neighbors=None, *, name="lennard_jones_ase", params=()):
    """`(E, F, stress)`, jitted with the space as an argument: compiled once per energy,
    list layout and shape, not once per configuration (the cell is traced, so the
    pairwise path checks the minimum image with `error_if`)."""
    energy_fn = ENERGIES[name](space, **dict(params))
    e, f = energy_and_forces(energy_fn, positions, neighbors)
    return e, f, stress(energy_fn, space, positions, neighbors)


def ase_reference(atoms, **params):
    atoms = atoms.copy()
    atoms.calc = LennardJones(**params)
    return (
        atoms.get_potential_energy(),
        atoms.get_forces(),
        atoms.get_stress(voigt=False),
    )


@pytest.mark.parametrize("kind", ["orthorhombic", "triclinic"])
@pytest.mark.parametrize("smooth", [False, True])
def test_lennard_jones_equals_ase(x64, kind, smooth):
    rng = np.random.default_rng(1 + smooth + 2 * (kind == "triclinic"))
    params = dict(sigma=1.05, epsilon=0.8, rc=3.1, ro=2.2, smooth=smooth)
    worst = {"energy": 0.0, "forces": 0.0, "stress": 0.0}
    for _ in range(2):
        atoms = random_atoms(rng, kind)
        e_ref, f_ref, s_ref = ase_reference(atoms, **params)
        space = PeriodicSpace(jnp.asarray(atoms.cell.array))
        positions = jnp.asarray(atoms.positions)
        for neighbors in (
            None,
            all_pairs_list(positions, space.cell, 3.1, half=True, capacity=1500),
            all_pairs_list(positions, space.cell, 3.1, half=False, capacity=3000),
        ):
            e, f, s = evaluate(space, positions, neighbors, params=tuple(params.items()))
            worst["energy"] = max(worst["energy"], abs(float(e) - e_ref))
            worst["forces"] = max(worst["forces"], float(np.abs(f - f_ref).max()))
            worst["stress"] = max(worst["stress"], float(np.abs(s - s_ref).max()))
    print(kind, "smooth" if smooth else "shift", worst)
    assert worst["energy"] < 1e-10
    assert worst["forces"] < 1e-10
    assert worst["stress"] < 1e-10


def test_small_triclinic_cell_with_images_equals_ase(x64):
    """Cell widths below 2 rc: several images of one atom interact; the list carries them."""
    rng = np.random.default_rng(7)
    atoms = random_atoms(rng, "triclinic", n=6, width=3.2, min_distance=0.9)
    params = dict(sigma=1.0, epsilon=1.0, rc=3.0, smooth=True)
    e_ref, f_ref, s_ref = ase_reference(atoms, **params)
    space = PeriodicSpace(jnp.asarray(atoms.cell.array))
    positions = jnp.asarray(atoms.positions)
    neighbors = all_pairs_list(positions, space.cell, 3.0)
    e, f, s = evaluate(space, positions, neighbors, params=tuple(params.items()))
    assert abs(float(e) - e_ref) < 1e-10
    assert np.abs(f - f_ref).max() < 1e-10
    assert np.abs(s - s_ref).max() < 1e-10
    energy_fn = lennard_jones_ase(space, **params)
    with pytest.raises(ValueError, match="Pass a NeighborList"):
        energy_fn(positions)


def test_jax_md_defaults_are_ase_smooth_at_2p5_and_2p0(x64):
    """`lennard_jones` defaults (jax-md's) = ASE smooth=True with rc=2.5 sigma, ro=2.0 sigma."""
    rng = np.random.default_rng(3)
    atoms = random_atoms(rng, "triclinic", width=6.0)
    e_ref, f_ref, _ = ase_reference(atoms, sigma=1.0, epsilon=1.0, rc=2.5, ro=2.0, smooth=True)
    space = PeriodicSpace(jnp.asarray(atoms.cell.array))
    e, f, _ = evaluate(space, jnp.asarray(atoms.positions), name="lennard_jones")
    assert abs(float(e) - e_ref) < 1e-10
    assert np.abs(f - f_ref).max() < 1e-10


def test_species_tables_equal_a_direct_double_sum(x64):
    rng = np.random.default_rng(4)
    atoms = random_atoms(rng, "orthorhombic", n=20)
    species = rng.integers(0, 2, size=20)
    sigma = np.array([[1.0, 1.1], [1.1, 1.2]])
    epsilon = np.array([[1.0, 0.7], [0.7, 0.5]])
    cell = atoms.cell.array
    space = PeriodicSpace(jnp.asarray(cell))
    energy_fn = lennard_jones(
        space, sigma=sigma, epsilon=epsilon, species=species, r_cutoff=3.0, truncation="shift"
    )
    expected = 0.0
    for i in range(20):
        for j in range(i + 1, 20):
            d = atoms.get_distance(i, j, mic=True)
            s, e = sigma[species[i], species[j]], epsilon[species[i], species[j]]
            if d < 3.0:
                expected += (
                    4 * e * ((s / d) ** 12 - (s / d) ** 6 - (s / 3.0) ** 12 + (s / 3.0) ** 6)
                )
    positions = jnp.asarray(atoms.positions)
    assert abs(float(jax.jit(energy_fn)(positions)) - expected) < 1e-10
    neighbors = all_pairs_list(positions, cell, 3.0)
    assert abs(float(jax.jit(energy_fn)(positions, neighbors)) - expected) < 1e-10


def random_orthogonal(rng, reflect):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if (np.linalg.det(q) < 0) != reflect:
        q[:, 0] = -q[:, 0]
    return q


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("use_list", [False, True])
def test_symmetries(precision, use_list):
    """E invariant, F equivariant under rotations, reflections, translations, permutations."""
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", precision == "float64")
    try:
        tol = 1e-12 if precision == "float64" else 1e-5
        rng = np.random.default_rng(5)
        # inside the cell and no closer than 1.0: float32 round-off of positions far
        # from the origin, amplified by the r^-13 force, is not what is measured here
        atoms = random_atoms(rng, "triclinic", n=24, width=6.0, min_distance=1.0)
        atoms.wrap()
        cell, pos = atoms.cell.array, atoms.positions
        worst = {}
        for name in ("lennard_jones", "morse", "soft_sphere"):

            def run(pos_, cell_, name=name):
                space = PeriodicSpace(jnp.asarray(cell_))
                nl = all_pairs_list(pos_, cell_, 2.5, capacity=800) if use_list else None
                e, f, _ = evaluate(space, jnp.asarray(pos_), nl, name=name)
                return float(e), np.asarray(f, dtype=float)

            e0, f0 = run(pos, cell)
            n = len(pos)
            cases = {
                "rotation": (random_orthogonal(rng, False), np.zeros(3), np.arange(n)),
                "reflection": (random_orthogonal(rng, True), np.zeros(3), np.arange(n)),
                "translation": (np.eye(3), rng.normal(size=3), np.arange(n)),
                "permutation": (np.eye(3), np.zeros(3), rng.permutation(n)),
            }
            for case, (q, t, p) in cases.items():
                e1, f1 = run(pos[p] @ q + t, cell @ q)
                worst[f"E {name}/{case}"] = abs(e1 - e0) / abs(e0)
                worst[f"F {name}/{case}"] = np.linalg.norm(f1 - f0[p] @ q) / np.linalg.norm(f0)
            # Newton's third law: the net force on a periodic system vanishes
            worst[f"F {name}/net_force"] = np.linalg.norm(f0.sum(0)) / np.linalg.norm(f0)
        print(
            precision, "list" if use_list else "pairwise", {k: f"{v:.1e}" for k, v in worst.items()}
        )
        assert max(worst.values()) < tol, worst
    finally:
        jax.config.update("jax_enable_x64", previous)


def test_padding_is_safe_and_lists_equal_pairwise(x64):
    rng = np.random.default_rng(6)
    atoms = random_atoms(rng, "triclinic", n=16, width=6.0)
    space = PeriodicSpace(jnp.asarray(atoms.cell.array))
    positions = jnp.asarray(atoms.positions)
    for name in ("lennard_jones", "morse", "soft_sphere"):
        e_pair, f_pair, s_pair = evaluate(space, positions, name=name)
        for half in (True, False):
            # the list's cutoff 3.0 (a skin) puts pairs beyond the energies' cutoffs in
            # the list, and it has 40 padding entries
            nl = all_pairs_list(positions, space.cell, 3.0, half=half, padding=40)
            e, f, s = evaluate(space, positions, nl, name=name)
            assert np.all(np.isfinite(f)) and np.all(np.isfinite(s))
            assert abs(float(e - e_pair)) < 1e-12 * abs(float(e_pair))
            assert np.abs(f - f_pair).max() < 1e-11
            assert np.abs(s - s_pair).max() < 1e-11


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_fused_energy_and_forces_equal_minus_grad(precision):
    """The pair energies' analytic `energy_and_forces` is `-grad E` (the definition):
    lists half and full with padding and pairs beyond the cutoff, and all pairs."""
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", precision == "float64")
    try:
        rng = np.random.default_rng(7)
        atoms = random_atoms(rng, "triclinic", n=16, width=6.0)
        dtype = jnp.zeros(()).dtype
        space = PeriodicSpace(jnp.asarray(atoms.cell.array, dtype))
        positions = jnp.asarray(atoms.positions, dtype)
        tol = 1e-12 if precision == "float64" else 2e-5
        for name in ("lennard_jones", "morse", "soft_sphere"):
            energy_fn = ENERGIES[name](space)
            for nl in (
                None,
                all_pairs_list(positions, space.cell, 3.0, half=True, padding=40),
                all_pairs_list(positions, space.cell, 3.0, half=False, padding=7),
            ):
                e, f = jax.jit(energy_fn.energy_and_forces)(positions, nl)
                e_ref, g_ref = jax.jit(jax.value_and_grad(energy_fn))(positions, nl)
                scale = float(jnp.abs(g_ref).max())
                assert abs(float(e - e_ref)) <= tol * abs(float(e_ref)), name
                assert float(jnp.abs(f + g_ref).max()) <= tol * scale, name
                e2, f2 = energy_and_forces(energy_fn, positions, nl)  # dispatches to it
                assert float(jnp.abs(f2 - f).max()) <= tol * scale, name
    finally:
        jax.config.update("jax_enable_x64", previous)


def dimer(r):
    return jnp.array([[0.0, 0.0, 0.0], [r, 0.0, 0.0]])


def test_morse_dimer_closed_form(x64):
    eps, alpha, sigma = 1.3, 2.5, 1.1
    energy_fn = morse(FreeSpace(), sigma=sigma, epsilon=eps, alpha=alpha)
    for r in (0.8, 1.1, 1.5, 1.95):
        x = np.exp(-alpha * (r - sigma))
        e, f = energy_and_forces(energy_fn, dimer(r))
        assert abs(float(e) - (eps * (1 - x) ** 2 - eps)) < 1e-13
        du = 2 * eps * alpha * x * (1 - x)  # dU/dr
        np.testing.assert_allclose(f[1], [-du, 0, 0], atol=1e-12)
        np.testing.assert_allclose(f[0], [du, 0, 0], atol=1e-12)
    curvature = jax.grad(jax.grad(lambda r: energy_fn(dimer(r))))(sigma)
    assert abs(float(curvature) - 2 * eps * alpha**2) < 1e-10
    # the smooth switch takes it to zero (energy and force) at r_cutoff = 2.5
    e, f = energy_and_forces(energy_fn, dimer(2.6))
    assert float(e) == 0.0 and float(jnp.abs(f).max()) == 0.0


def test_soft_sphere_dimer_closed_form(x64):
    eps, sigma, alpha = 2.0, 1.5, 2.5
    energy_fn = soft_sphere(FreeSpace(), sigma=sigma, epsilon=eps, alpha=alpha)
    for r in (0.5, 1.0, 1.4):
        e, f = energy_and_forces(energy_fn, dimer(r))
        assert abs(float(e) - eps / alpha * (1 - r / sigma) ** alpha) < 1e-13
        du = -eps / sigma * (1 - r / sigma) ** (alpha - 1)
        np.testing.assert_allclose(f[1], [-du, 0, 0], atol=1e-12)
    e, f = energy_and_forces(energy_fn, dimer(1.6))
    assert float(e) == 0.0 and np.all(np.asarray(f) == 0.0)


def mass_weighted_top_eigenvalue(energy_fn, positions, masses):
    n = positions.shape[0]
    h = jax.hessian(lambda x: energy_fn(x.reshape(n, 3)))(positions.reshape(-1))
    m = np.repeat(masses, 3)
    return float(np.linalg.eigvalsh(np.asarray(h) / np.sqrt(np.outer(m, m))).max())


def test_bonds_closed_forms_and_dimer_frequency(x64):
    masses = np.array([1.7, 3.1])
    mu = masses.prod() / masses.sum()
    bonds = np.array([[0, 1]])
    k, r0 = 4.0, 1.2
    harmonic = harmonic_bond(FreeSpace(), bonds, k=k, r0=r0)
    e, f = energy_and_forces(harmonic, dimer(1.5))
    assert abs(float(e) - 0.5 * k * 0.3**2) < 1e-13
    np.testing.assert_allclose(f[1], [-k * 0.3, 0, 0], atol=1e-12)
    # small oscillations of the dimer: omega^2 = k / mu, the top mass-weighted eigenvalue
    assert abs(mass_weighted_top_eigenvalue(harmonic, dimer(r0), masses) - k / mu) < 1e-10

    D, w = 2.5, 0.3
    gauss = gaussian_bond(FreeSpace(), bonds, D=D, r0=r0, w=w)
    e, f = energy_and_forces(gauss, dimer(1.5))
    g = np.exp(-(0.3**2) / (2 * w**2))
    assert abs(float(e) + D * g) < 1e-13
    np.testing.assert_allclose(f[1], [-D * g * 0.3 / w**2, 0, 0], atol=1e-12)
    omega2 = mass_weighted_top_eigenvalue(gauss, dimer(r0), masses)
    assert abs(omega2 - D / (w**2 * mu)) < 1e-10
    # coincident bonded particles: finite energy, zero (not NaN) force
    assert np.all(np.isfinite(forces(gauss, jnp.zeros((2, 3)))))


def test_bad_input():
    space = PeriodicSpace.orthorhombic(jnp.full(3, 6.0))
    positions = jnp.asarray(np.random.default_rng(0).uniform(0, 6, size=(4, 3)))
    with pytest.raises(ValueError, match="one species per particle"):
        lennard_jones(space, sigma=jnp.ones((2, 2)), species=jnp.array([0, 1, 0]))(positions)
    with pytest.raises(ValueError, match="no species were given"):
        lennard_jones(space, sigma=jnp.ones((2, 2)))
    with pytest.raises(Exception, match="NaN or inf"):
        lennard_jones(space)(positions.at[1, 2].set(jnp.nan))
    with pytest.raises(Exception, match="NaN or inf"):
        jax.jit(lennard_jones(space))(positions.at[0, 0].set(jnp.inf))
    with pytest.raises(ValueError, match="2-dimensional but the cell is 3x3"):
        lennard_jones(space)(positions[:, :2])
    with pytest.raises(ValueError, match="Pass a NeighborList"):
        lennard_jones(PeriodicSpace.orthorhombic(jnp.full(3, 4.0)))(positions)
    singular = PeriodicSpace(jnp.array([[6.0, 0, 0], [0, 6.0, 0], [6.0, 6.0, 0]]))
    with pytest.raises(Exception, match="singular"):
        stress(lambda r, nl=None, space=None: jnp.sum(r**2), singular, positions)
    with pytest.raises(ValueError, match="PeriodicSpace"):
        stress(lennard_jones(FreeSpace()), FreeSpace(), positions)
    with pytest.raises(ValueError, match=r"\(M, 2\) integer"):
        harmonic_bond(space, np.array([0, 1]))
    with pytest.raises(ValueError, match="to itself"):
        harmonic_bond(space, np.array([[1, 1]]))
    with pytest.raises(ValueError, match="bonds refer to particle 7"):
        harmonic_bond(space, np.array([[0, 7]]))(positions)
    with pytest.raises(ValueError, match="truncation="):
        lennard_jones(space, truncation="cut")
