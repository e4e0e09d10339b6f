"""Interatomic models (SchNet, PaiNN, NequIP) against the symmetries and limits of physics.

Truths, none taken from the models themselves: an energy of a configuration must not
change under rotations, reflections, translations and relabelling of atoms (1000 random
O(3) transforms, each with a translation and a permutation of atoms and of list entries);
forces rotate with it, stress as `Q sigma Q^T`; forces are central finite differences of
the energy and stress the finite-difference strain derivative; padded atoms change
nothing; a 2x1x1 supercell has exactly twice the energy of its cell (locality +
periodicity, lists built independently); a pair just beyond the cutoff contributes
exactly nothing and one just inside contributes a vanishing amount. The models are
O(3)-invariant, so a chiral molecule and its mirror image must get equal energies.

One jitted, vmapped `energy, forces, stress` evaluation per (model, dtype, system) serves
every check, with fixed list capacities so the compiled functions are shared.
"""

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sciml_jax import atoms, nn

CUTOFF = 3.0
N_TRANSFORMS = 1000
BATCH = N_TRANSFORMS + 1  # the identity first
BUCKETS = (8, 64, BATCH)  # the checks' batch sizes: <= 8, finite differences, transforms

MODELS = {
    "schnet": lambda key: nn.SchNet(3, cutoff=CUTOFF, key=key, features=16, interactions=2),
    "painn": lambda key: nn.PaiNN(3, cutoff=CUTOFF, key=key, features=16, interactions=2),
    "nequip": lambda key: nn.NequIP(
        3, cutoff=CUTOFF, key=key, features=8, interactions=2, l_max=2, radial_hidden=16
    ),
}


@functools.cache
def model(name: str, dtype: str):
    """One model per name and precision (created under the matching x64 setting)."""
    assert str(jnp.zeros(()).dtype) == dtype
    return MODELS[name](jax.random.key(7))


class System(NamedTuple):
    """One structure, or a batch of them (leading axis) sharing a list template."""

    species: np.ndarray
    positions: np.ndarray
    senders: np.ndarray
    receivers: np.ndarray
    shifts: np.ndarray
    pair_mask: np.ndarray
    node_mask: np.ndarray
    cell: np.ndarray | None


def _system(species, positions, cell, capacity, node_mask=None, skin=0.5):
    """A full list at `positions` with a fixed `capacity` (so compiled shapes match)."""
    space = atoms.FreeSpace() if cell is None else atoms.PeriodicSpace(cell)
    nbrs = atoms.neighbor_list(space, positions, CUTOFF, skin=skin, capacity=capacity, half=False)
    assert not bool(nbrs.overflow)
    n = len(species)
    return System(
        np.asarray(species, np.int32),
        np.asarray(positions, float),
        np.asarray(nbrs.senders),
        np.asarray(nbrs.receivers),
        np.asarray(nbrs.shifts, float),
        np.asarray(nbrs.mask),
        np.ones(n, bool) if node_mask is None else np.asarray(node_mask),
        None if cell is None else np.asarray(cell, float),
    ), nbrs


def molecule():
    """8 atoms, 3 species: a chiral centre (atom 0; substituents 1-4 told apart by their
    bond lengths 1.0-1.3) and 3 more atoms; pairs from 0.9 to beyond the cutoff."""
    rng = np.random.default_rng(3)
    tetra = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)
    positions = [np.zeros(3)] + [d * r for d, r in zip(tetra, [1.0, 1.1, 1.2, 1.3], strict=True)]
    while len(positions) < 8:
        anchor = positions[rng.integers(1, 5)]
        trial = anchor + rng.normal(size=3) * 1.0
        if min(np.linalg.norm(trial - p) for p in positions) > 0.9:
            positions.append(trial)
    species = [0, 1, 2, 1, 0, 2, 1, 2]
    # every pair listed (skin 20): the model, not the list, must apply the cutoff
    return _system(species, np.array(positions), None, capacity=56, skin=20.0)


PERIODIC_CELL = np.array([[3.3, 0.0, 0.0], [0.5, 3.1, 0.0], [0.4, -0.6, 3.5]])
PERIODIC_FRACTIONAL = np.array(
    [[0.05, 0.1, 0.0], [0.55, 0.45, 0.1], [0.3, 0.8, 0.55], [0.8, 0.2, 0.6]]
)
PERIODIC_SPECIES = [0, 1, 2, 0]


def periodic_cell():
    """4 atoms in a triclinic cell thinner than twice the cutoff (images replicated)."""
    return _system(PERIODIC_SPECIES, PERIODIC_FRACTIONAL @ PERIODIC_CELL, PERIODIC_CELL, 160)


def periodic_pair():
    """The same cell as 8 atoms: the 2x1x1 supercell, and the cell padded with 4 dummies
    (two of them on top of real atoms, one on another dummy)."""
    cell2 = PERIODIC_CELL * np.array([[2.0], [1.0], [1.0]])
    pos = PERIODIC_FRACTIONAL @ PERIODIC_CELL
    supercell, template = _system(
        PERIODIC_SPECIES * 2, np.concatenate([pos, pos + PERIODIC_CELL[0]]), cell2, 448
    )
    dummies = np.array([pos[0], pos[2], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    padded, _ = _system(
        PERIODIC_SPECIES + [5, 0, -1, 1],  # garbage species on padding is fine
        np.concatenate([pos, dummies]),
        PERIODIC_CELL,
        448,
        node_mask=np.arange(8) < 4,
    )
    return supercell, padded, template


def _evaluate_one(
    model, species, positions, senders, receivers, shifts, pair_mask, node_mask, cell, template
):
    nbrs = dataclasses.replace(
        template, senders=senders, receivers=receivers, shifts=shifts, mask=pair_mask
    )
    space = atoms.FreeSpace() if cell is None else atoms.PeriodicSpace(cell)

    def energy_fn(r, neighbors, space=space):
        return model(species, r, neighbors, space, node_mask).sum()

    energy, grad = jax.value_and_grad(energy_fn)(positions, nbrs)
    if cell is None:
        return energy, -grad, None
    return energy, -grad, atoms.stress(energy_fn, space, positions, nbrs)


@jax.jit
def _evaluate(model, batch: System, template):
    fn = functools.partial(_evaluate_one, model, template=template)
    return jax.vmap(fn)(*batch)


def evaluate(model, batch: System, template):
    """`(E (B,), F (B, n, 3), stress (B, 3, 3) or None)`, padded to the next of the
    `BUCKETS` sizes: few compiled shapes, and no 1001-wide vmap (16 GB for NequIP's stress
    on the 8-atom cell) for a check of two structures."""
    b = batch.species.shape[0]
    size = next(size for size in BUCKETS if size >= b)
    pad = jax.tree.map(lambda x: np.concatenate([x, np.repeat(x[-1:], size - b, 0)]), batch)
    dtype = jnp.zeros(()).dtype
    pad = pad._replace(
        positions=jnp.asarray(pad.positions, dtype),
        shifts=jnp.asarray(pad.shifts, dtype),
        cell=None if pad.cell is None else jnp.asarray(pad.cell, dtype),
    )
    out = _evaluate(model, pad, template)
    return jax.tree.map(lambda x: np.asarray(x[:b], np.float64), out)


def stack(*systems: System) -> System:
    return jax.tree.map(lambda *xs: np.stack(xs), *systems)


def transformed(system: System, seed: int, count: int = N_TRANSFORMS):
    """The identity plus `count` random O(3) transforms (half improper), each with a
    translation, a permutation of the atoms and of the list entries."""
    rng = np.random.default_rng(seed)
    q = Rotation.random(count, random_state=rng).as_matrix()
    q = q * rng.choice([-1.0, 1.0], size=count)[:, None, None]
    q = np.concatenate([np.eye(3)[None], q])
    t = np.concatenate([np.zeros((1, 3)), rng.normal(size=(count, 3))])
    n, capacity = len(system.species), len(system.senders)
    perms = [np.arange(n)] + [rng.permutation(n) for _ in range(count)]
    edge_perms = [np.arange(capacity)] + [rng.permutation(capacity) for _ in range(count)]
    samples = []
    for k in range(count + 1):
        p, e = perms[k], edge_perms[k]
        inverse = np.argsort(p)  # old atom a is new atom inverse[a]
        samples.append(
            System(
                system.species[p],
                system.positions[p] @ q[k].T + t[k],
                inverse[system.senders[e]],
                inverse[system.receivers[e]],
                system.shifts[e],
                system.pair_mask[e],
                system.node_mask[p],
                None if system.cell is None else system.cell @ q[k].T,
            )
        )
    return stack(*samples), q, np.stack(perms)


def symmetry_errors(name, system, template, seed):
    batch, q, perms = transformed(system, seed)
    energy, forces, stress = evaluate(model(name, str(jnp.zeros(()).dtype)), batch, template)
    e0, f0 = energy[0], forces[0]
    assert abs(e0) > 1e-2 and np.abs(f0).max() > 1e-2  # not a trivially zero model
    e_err = np.abs(energy - e0).max() / abs(e0)
    expected = np.einsum("bnj,bij->bni", f0[perms], q)
    f_err = np.abs(forces - expected).max() / np.abs(f0).max()
    s_err = 0.0
    if stress is not None:
        expected_s = np.einsum("bij,jk,blk->bil", q, stress[0], q)
        s_err = np.abs(stress - expected_s).max() / np.abs(stress[0]).max()
    improper = int(np.sum(np.linalg.det(q) < 0))
    assert improper > 400
    return e_err, f_err, s_err


@pytest.mark.parametrize("name", list(MODELS))
def test_invariance_float32(name):
    """1000 O(3) transforms + translations + permutations: energies and forces <= 1e-5
    relative in float32. Stress, a sum of `r_ij (x) f_ij` over pairs whose terms largely
    cancel, keeps float32 rounding of the larger terms: <= 1e-4 relative."""
    for system, template in (molecule(), periodic_cell()):
        e_err, f_err, s_err = symmetry_errors(name, system, template, seed=11)
        print(name, "float32", e_err, f_err, s_err)
        assert max(e_err, f_err) <= 1e-5 and s_err <= 1e-4, (name, e_err, f_err, s_err)


@pytest.mark.parametrize("name", list(MODELS))
def test_invariance_and_finite_differences_float64(name, x64):
    """The same transforms to 1e-12 in float64; forces and stress equal central finite
    differences of the energy (h = 1e-5: truncation and rounding both ~1e-10)."""
    m = model(name, "float64")
    h = 1e-5
    for system, template in (molecule(), periodic_cell()):
        errors = symmetry_errors(name, system, template, seed=12)
        print(name, "float64", errors)
        assert max(errors) <= 1e-12, (name, errors)

        n = len(system.species)
        displaced = []
        for i in range(n):
            for a in range(3):
                for sign in (1.0, -1.0):
                    r = system.positions.copy()
                    r[i, a] += sign * h
                    displaced.append(system._replace(positions=r))
        if system.cell is not None:
            for a, b in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]:
                for sign in (1.0, -1.0):
                    eps = np.zeros((3, 3))
                    eps[a, b] += 0.5 * sign * h
                    eps[b, a] += 0.5 * sign * h
                    deform = np.eye(3) + eps
                    displaced.append(
                        system._replace(
                            positions=system.positions @ deform, cell=system.cell @ deform
                        )
                    )
        energy, forces, stress = evaluate(m, stack(system, *displaced), template)
        e = energy[1:]
        fd_forces = -(e[0 : 6 * n : 2] - e[1 : 6 * n : 2]).reshape(n, 3) / (2 * h)
        f_err = np.abs(fd_forces - forces[0]).max() / np.abs(forces[0]).max()
        assert f_err < 1e-7, (name, f_err)
        if system.cell is not None:
            volume = abs(np.linalg.det(system.cell))
            de = (e[6 * n :: 2] - e[6 * n + 1 :: 2]) / (2 * h * volume)
            sigma = stress[0]
            analytic = np.array(
                [sigma[a, b] for a, b in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]]
            )
            s_err = np.abs(de - analytic).max() / np.abs(sigma).max()
            assert s_err < 1e-7, (name, s_err)
            np.testing.assert_allclose(sigma, sigma.T, rtol=0, atol=1e-13 * np.abs(sigma).max())


def _triple(positions):
    """A pseudoscalar of the chiral centre: substituents 1, 2, 3 are told apart by their
    bond lengths (invariants), so its sign tells the two enantiomers apart."""
    r = positions[1:4] - positions[0]
    return float(np.dot(r[0], np.cross(r[1], r[2])))


@pytest.mark.parametrize("name", list(MODELS))
def test_mirror_images_get_equal_energy(name, x64):
    """The models are O(3)-invariant: they cannot tell a chiral molecule from its mirror
    image (a model that should, would need a pseudoscalar readout)."""
    system, template = molecule()
    mirror = system._replace(positions=system.positions * np.array([-1.0, 1.0, 1.0]))
    assert _triple(system.positions) == pytest.approx(-_triple(mirror.positions))
    assert abs(_triple(system.positions)) > 0.1
    energy, forces, _ = evaluate(model(name, "float64"), stack(system, mirror), template)
    assert energy[1] == pytest.approx(energy[0], rel=1e-13)
    np.testing.assert_allclose(forces[1], forces[0] * np.array([-1.0, 1.0, 1.0]), atol=1e-12)


@pytest.mark.parametrize("name", list(MODELS))
def test_padding_and_supercell_extensivity(name, x64):
    """Masked dummy atoms change nothing (their energies and forces are exactly 0), and
    a 2x1x1 supercell's energy is twice the cell's (its forces repeat the cell's)."""
    m = model(name, "float64")
    cell, template = periodic_cell()
    e_cell, f_cell, s_cell = evaluate(m, stack(cell), template)
    supercell, padded, template2 = periodic_pair()
    e2, f2, s2 = evaluate(m, stack(supercell, padded), template2)
    # padding: same energy, forces and stress; dummies get exactly zero
    assert e2[1] == pytest.approx(e_cell[0], rel=1e-13)
    np.testing.assert_allclose(f2[1, :4], f_cell[0], rtol=0, atol=1e-12)
    assert np.all(f2[1, 4:] == 0.0)
    np.testing.assert_allclose(s2[1], s_cell[0], rtol=0, atol=1e-12)
    atom_e = m(
        jnp.asarray(padded.species),
        jnp.asarray(padded.positions),
        dataclasses.replace(
            template2,
            senders=jnp.asarray(padded.senders),
            receivers=jnp.asarray(padded.receivers),
            shifts=jnp.asarray(padded.shifts),
            mask=jnp.asarray(padded.pair_mask),
        ),
        atoms.PeriodicSpace(padded.cell),
        jnp.asarray(padded.node_mask),
    )
    assert np.all(np.asarray(atom_e)[4:] == 0.0)
    # extensivity: an independent list on twice the atoms
    assert e2[0] == pytest.approx(2 * e_cell[0], rel=1e-12)
    np.testing.assert_allclose(f2[0], np.concatenate([f_cell[0]] * 2), rtol=0, atol=1e-11)
    np.testing.assert_allclose(s2[0], s_cell[0], rtol=0, atol=1e-11)


@pytest.mark.parametrize("name", list(MODELS))
def test_cutoff_crossing_is_smooth(name, x64):
    """A pair at `r_c + d` contributes exactly nothing (dropping it from the list changes
    no bit), and at `r_c - d` its energy and force vanish faster than `d` (the cutoffs
    go to zero with their slope): energy and forces are continuous across the cutoff."""
    system, template = molecule()
    pos = system.positions.copy()
    direction = (pos[7] - pos[0]) / np.linalg.norm(pos[7] - pos[0])
    samples, gaps = [], [1e-2, 1e-3, -1e-3, -1e-2]
    for d in gaps:
        r = pos.copy()
        r[7] = pos[0] + (CUTOFF + d) * direction
        dist = np.linalg.norm(r[:, None] - r[None], axis=-1)
        others = np.abs(dist - CUTOFF)[np.triu_indices(8, 1)]
        assert np.sort(others)[1] > 0.05  # only the pair (0, 7) is near the cutoff
        pair = ((system.senders == 0) & (system.receivers == 7)) | (
            (system.senders == 7) & (system.receivers == 0)
        )
        with_pair = system._replace(positions=r)
        samples += [with_pair, with_pair._replace(pair_mask=system.pair_mask & ~pair)]
    energy, forces, _ = evaluate(model(name, "float64"), stack(*samples), template)
    de = energy[0::2] - energy[1::2]  # the pair's contribution at each gap
    df = np.abs(forces[0::2] - forces[1::2]).max(axis=(1, 2))
    scale = np.abs(energy).max()
    assert de[0] == 0.0 and de[1] == 0.0 and df[0] == 0.0 and df[1] == 0.0
    assert abs(de[2]) < 1e-4 * scale and abs(de[3]) < 1e-2 * scale
    assert abs(de[3]) > 20 * abs(de[2])  # order >= 2 in d (10x for a jump in slope)
    assert df[3] > 5 * df[2]  # the force contribution vanishes at least like d
    assert df[2] < 1e-3 * np.abs(forces).max()


def test_models_refuse_a_half_list_and_a_short_list():
    space = atoms.FreeSpace()
    positions = jnp.asarray(np.eye(3) * 1.5)
    species = jnp.array([0, 1, 2], jnp.int32)
    m = nn.SchNet(3, cutoff=CUTOFF, key=jax.random.key(0), features=4, interactions=1)
    half = atoms.neighbor_list(space, positions, CUTOFF, half=True)
    with pytest.raises(ValueError, match="half=False"):
        m(species, positions, half, space)
    short = atoms.neighbor_list(space, positions, 2.0, half=False)
    with pytest.raises(ValueError, match="cutoff >= 3"):
        m(species, positions, short, space)
    full = atoms.neighbor_list(space, positions, CUTOFF, half=False)
    with pytest.raises(ValueError, match="species"):
        m(species[:2], positions, full, space)
    with pytest.raises(ValueError, match="node_mask"):
        m(species, positions, full, space, node_mask=jnp.ones(3))


def test_radial_pieces_match_their_formulas(x64):
    """Bessel/Gaussian bases and both cutoffs at sample points against the closed forms;
    the envelope's value, slope and curvature vanish at the cutoff."""
    r = jnp.linspace(0.3, 5.5, 27)
    rc = 5.0
    b = nn.bessel_basis(r, rc, 4)
    for k in range(4):
        expected = np.sqrt(2 / rc) * np.sin((k + 1) * np.pi * np.asarray(r) / rc) / np.asarray(r)
        np.testing.assert_allclose(b[:, k], expected, rtol=1e-13)
    g = nn.gaussian_basis(r, rc, 6)
    np.testing.assert_allclose(g[:, 2], np.exp(-0.5 * ((np.asarray(r) - 2.0) / 1.0) ** 2))
    c = nn.cosine_cutoff(r, rc)
    inside = np.asarray(r) < rc
    np.testing.assert_allclose(c[inside], 0.5 * (np.cos(np.pi * np.asarray(r)[inside] / rc) + 1))
    assert np.all(np.asarray(c)[~inside] == 0)
    u = lambda x: nn.polynomial_envelope(x, rc)  # noqa: E731
    assert float(u(jnp.float64(0.0))) == 1.0
    at = jnp.float64(rc - 1e-12)
    for derivative in (u, jax.grad(u), jax.grad(jax.grad(u))):
        assert abs(float(derivative(at))) < 1e-9
    assert abs(float(jax.grad(nn.cosine_cutoff)(at, rc))) < 1e-9
    with pytest.raises(ValueError, match="p >= 2"):
        nn.polynomial_envelope(r, rc, p=1)
