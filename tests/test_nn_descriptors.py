"""Hand-made molecular descriptors (nn._descriptors) against hand computations and symmetry.

Every value here is checked against an independent NumPy or `math` computation written out
from the formula (Rupp et al. 2012 for the Coulomb matrix, Behler 2011 for G2 and G4), or
against an exact symmetry of the physics, in float64 to 1e-12.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax import nn

SPECIES = (1, 6, 7, 8)
RADIAL = (0.8, np.linspace(0.6, 4.0, 5))  # (eta, r_s): eta broadcast over 5 centres
ANGULAR = (np.array([1.0, 2.0, 4.0]), np.array([[1.0], [-1.0]]), 0.05)  # 6 (zeta, lambda)
R_CUT = 4.5

# Water, experimental geometry (O-H 0.9572 A, H-O-H 104.52 degrees), O first.
WATER_Z = np.array([8, 1, 1])
_HALF = math.radians(104.52) / 2
WATER_R = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.9572 * math.sin(_HALF), 0.0, 0.9572 * math.cos(_HALF)],
        [-0.9572 * math.sin(_HALF), 0.0, 0.9572 * math.cos(_HALF)],
    ]
)


def _molecule(rng, n_real, n_slots):
    """A random molecule of `n_real` atoms (H, C, N, O) in a box of 3 A, padded to `n_slots`
    slots holding garbage positions (and zeros as atomic numbers)."""
    z = np.zeros(n_slots, np.int32)
    z[:n_real] = rng.choice(SPECIES, n_real)
    z[: min(n_real, len(SPECIES))] = SPECIES[: min(n_real, len(SPECIES))]  # every species
    positions = rng.normal(scale=50.0, size=(n_slots, 3))
    positions[:n_real] = rng.uniform(0.0, 3.0, size=(n_real, 3))
    return z, positions, z > 0


def _random_orthogonal(rng):
    """A Haar-random element of O(3): rotations and reflections alike."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


describe_molecule = functools.partial(
    nn.molecule_symmetry_functions, species=SPECIES, radial=RADIAL, angular=ANGULAR, r_cut=R_CUT
)
describe_atoms = jax.jit(
    functools.partial(
        nn.atom_symmetry_functions, species=SPECIES, radial=RADIAL, angular=ANGULAR, r_cut=R_CUT
    )
)


@jax.jit
def _all_descriptors(z, positions, mask):
    return {
        "inverse": nn.sorted_inverse_distances(positions, mask),
        "eigenvalues": nn.coulomb_matrix_eigenvalues(z, positions, mask),
        "symmetry": describe_molecule(z, positions, mask),
    }


def test_invariant_under_o3_translations_and_permutations(x64):
    rng = np.random.default_rng(0)
    z, positions, mask = _molecule(rng, 7, 9)
    n_transforms = 1000  # as in the acceptance of issue 18
    rotations = np.stack([_random_orthogonal(rng) for _ in range(n_transforms)])
    assert (np.linalg.det(rotations) < 0).any() and (np.linalg.det(rotations) > 0).any()
    shifts = rng.normal(scale=10.0, size=(n_transforms, 1, 3))
    # permute all slots, padding included: real atoms need not come first
    perms = np.stack([rng.permutation(len(z)) for _ in range(n_transforms)])
    moved = np.einsum("tij,nj->tni", rotations, positions) + shifts
    moved = np.take_along_axis(moved, perms[..., None], axis=1)
    z_moved, mask_moved = z[perms], mask[perms]

    reference = _all_descriptors(z, positions, mask)
    transformed = jax.jit(jax.vmap(_all_descriptors))(z_moved, moved, mask_moved)
    for name, value in reference.items():
        assert float(jnp.max(jnp.abs(value))) > 1e-2, name  # not trivially zero
        np.testing.assert_allclose(
            transformed[name],
            np.broadcast_to(value, transformed[name].shape),
            rtol=1e-12,
            atol=1e-12,
            err_msg=name,
        )

    # per-atom features and the Coulomb matrix permute with the atoms
    per_atom = describe_atoms(z, positions, mask)
    per_atom_moved = jax.vmap(describe_atoms)(z_moved, moved, mask_moved)
    np.testing.assert_allclose(per_atom_moved, per_atom[perms], rtol=1e-12, atol=1e-12)
    matrix = nn.coulomb_matrix(z, positions, mask)
    matrix_moved = jax.jit(jax.vmap(nn.coulomb_matrix))(z_moved, moved, mask_moved)
    expected = jax.vmap(lambda p: matrix[p][:, p])(perms)
    np.testing.assert_allclose(matrix_moved, expected, rtol=1e-12, atol=1e-12)


def test_padding_slots_change_nothing(x64):
    rng = np.random.default_rng(1)
    z, positions, mask = _molecule(rng, 5, 5)
    small = _all_descriptors(z, positions, mask)
    atoms_small = describe_atoms(z, positions, mask)
    # 7 extra slots interleaved with the real atoms, garbage positions, nonzero numbers
    slots = 12
    where = np.sort(rng.choice(slots, 5, replace=False))
    z_big = rng.choice(SPECIES, slots).astype(np.int32)
    positions_big = rng.normal(scale=1.0, size=(slots, 3))  # near the molecule, on purpose
    mask_big = np.zeros(slots, bool)
    z_big[where], positions_big[where], mask_big[where] = z, positions, True
    big = _all_descriptors(z_big, positions_big, mask_big)

    n_pairs = 5 * 4 // 2
    np.testing.assert_allclose(big["inverse"][:n_pairs], small["inverse"], rtol=1e-12)
    assert np.all(np.asarray(big["inverse"][n_pairs:]) == 0.0)
    np.testing.assert_allclose(big["eigenvalues"][:5], small["eigenvalues"], rtol=1e-12)
    np.testing.assert_allclose(big["eigenvalues"][5:], 0.0, atol=1e-12)
    np.testing.assert_allclose(big["symmetry"], small["symmetry"], rtol=1e-12, atol=1e-12)
    atoms_big = np.asarray(describe_atoms(z_big, positions_big, mask_big))
    np.testing.assert_allclose(atoms_big[where], atoms_small, rtol=1e-12, atol=1e-12)
    assert np.all(atoms_big[~mask_big] == 0.0)
    matrix_big = np.asarray(nn.coulomb_matrix(z_big, positions_big, mask_big))
    assert np.all(matrix_big[~mask_big] == 0.0) and np.all(matrix_big[:, ~mask_big] == 0.0)


def test_coulomb_matrix_and_inverse_distances_of_water_by_hand(x64):
    d_oh = 0.9572
    d_hh = 2 * 0.9572 * math.sin(_HALF)  # 1.5139 A
    o, h = 0.5 * 8**2.4, 0.5 * 1**2.4  # 73.5167..., 0.5
    expected = np.array(
        [
            [o, 8 / d_oh, 8 / d_oh],
            [8 / d_oh, h, 1 / d_hh],
            [8 / d_oh, 1 / d_hh, h],
        ]
    )
    assert abs(expected[0, 0] - 73.51669471981023) < 1e-12
    # one padding slot, which must add a zero row and column
    z = np.append(WATER_Z, 0)
    positions = np.vstack([WATER_R, [[0.3, -0.2, 0.1]]])
    mask = z > 0
    matrix = np.asarray(nn.coulomb_matrix(z, positions, mask))
    np.testing.assert_allclose(matrix[:3, :3], expected, rtol=1e-12)
    assert np.all(matrix[3] == 0.0) and np.all(matrix[:, 3] == 0.0)

    eigenvalues = np.asarray(nn.coulomb_matrix_eigenvalues(z, positions, mask))
    reference = np.linalg.eigvalsh(expected)
    reference = np.append(reference[np.argsort(-np.abs(reference))], 0.0)
    np.testing.assert_allclose(eigenvalues, reference, rtol=1e-12, atol=1e-12)
    assert np.all(np.diff(np.abs(eigenvalues)) <= 0)

    inverse = np.asarray(nn.sorted_inverse_distances(positions, mask))
    np.testing.assert_allclose(inverse, [1 / d_oh, 1 / d_oh, 1 / d_hh, 0, 0, 0], rtol=1e-12)


def test_coulomb_eigenvalues_equal_numpy_eigvalsh(x64):
    rng = np.random.default_rng(2)
    for n_real in (2, 6, 11):
        z, positions, mask = _molecule(rng, n_real, 13)
        real_z, real_r = z[mask].astype(float), positions[mask]
        distance = np.linalg.norm(real_r[:, None] - real_r[None], axis=-1)
        np.fill_diagonal(distance, 1.0)
        matrix = np.outer(real_z, real_z) / distance
        np.fill_diagonal(matrix, 0.5 * real_z**2.4)
        reference = np.linalg.eigvalsh(matrix)
        reference = reference[np.argsort(-np.abs(reference))]
        eigenvalues = np.asarray(nn.coulomb_matrix_eigenvalues(z, positions, mask))
        np.testing.assert_allclose(eigenvalues[:n_real], reference, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(eigenvalues[n_real:], 0.0, atol=1e-10)


# C at the origin, H on x, O on y (a right angle at C), and an N beyond the cutoff of all.
_TRIANGLE_Z = np.array([6, 1, 8, 7])
_TRIANGLE_R = np.array([[0.0, 0.0, 0.0], [1.1, 0.0, 0.0], [0.0, 1.3, 0.0], [9.0, 0.0, 0.0]])


def _fc(r, r_cut):
    return 0.5 * (math.cos(math.pi * r / r_cut) + 1.0) if r < r_cut else 0.0


def test_radial_g2_of_three_atoms_by_hand(x64):
    eta, r_s, r_cut = np.array([0.5, 2.0]), np.array([0.0, 1.0]), 2.5
    g2 = np.asarray(
        nn.radial_symmetry_functions(
            _TRIANGLE_Z,
            _TRIANGLE_R,
            _TRIANGLE_Z > 0,
            species=(1, 6, 7, 8),
            eta=eta,
            r_s=r_s,
            r_cut=r_cut,
        )
    )
    assert g2.shape == (4, 4, 2)
    r_ch, r_co, r_ho = 1.1, 1.3, math.hypot(1.1, 1.3)

    def term(r, k):
        return math.exp(-eta[k] * (r - r_s[k]) ** 2) * _fc(r, r_cut)

    expected = np.zeros((4, 4, 2))
    for k in range(2):
        expected[0, 0, k] = term(r_ch, k)  # C sees H
        expected[0, 3, k] = term(r_co, k)  # C sees O
        expected[1, 1, k] = term(r_ch, k)  # H sees C
        expected[1, 3, k] = term(r_ho, k)  # H sees O
        expected[2, 1, k] = term(r_co, k)  # O sees C
        expected[2, 0, k] = term(r_ho, k)  # O sees H
    # the N at 9 A is outside every cutoff: its row is zero and nobody sees it
    np.testing.assert_allclose(g2, expected, rtol=1e-12, atol=1e-15)
    # the hand number itself: exp(-2 (1.1 - 1)^2) (cos(0.44 pi) + 1) / 2
    assert expected[0, 0, 1] == pytest.approx(0.5819348, abs=1e-7)


def test_angular_g4_of_three_atoms_by_hand(x64):
    zeta, lambda_, eta, r_cut = np.array([1.0, 4.0]), np.array([1.0, -1.0]), 0.3, 2.5
    g4 = np.asarray(
        nn.angular_symmetry_functions(
            _TRIANGLE_Z,
            _TRIANGLE_R,
            _TRIANGLE_Z > 0,
            species=(1, 6, 7, 8),
            zeta=zeta,
            lambda_=lambda_,
            eta=eta,
            r_cut=r_cut,
        )
    )
    pairs = [(a, b) for i, a in enumerate((1, 6, 7, 8)) for b in (1, 6, 7, 8)[i:]]
    assert g4.shape == (4, len(pairs), 2)
    r = np.linalg.norm(_TRIANGLE_R[:3, None] - _TRIANGLE_R[None, :3], axis=-1)
    cutoffs = _fc(r[0, 1], r_cut) * _fc(r[0, 2], r_cut) * _fc(r[1, 2], r_cut)
    gauss = math.exp(-eta * (r[0, 1] ** 2 + r[0, 2] ** 2 + r[1, 2] ** 2))

    def cos_at(i, j, k):
        a, b = _TRIANGLE_R[j] - _TRIANGLE_R[i], _TRIANGLE_R[k] - _TRIANGLE_R[i]
        return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))

    expected = np.zeros_like(g4)
    for centre, j, k, pair in ((0, 1, 2, (1, 8)), (1, 0, 2, (6, 8)), (2, 0, 1, (1, 6))):
        cos = cos_at(centre, j, k)
        for m in range(2):
            value = 2 ** (1 - zeta[m]) * (1 + lambda_[m] * cos) ** zeta[m] * gauss * cutoffs
            expected[centre, pairs.index(pair), m] = value
    assert abs(cos_at(0, 1, 2)) < 1e-15  # the right angle at C: G4 equals 2^(1-zeta) ...
    np.testing.assert_allclose(g4, expected, rtol=1e-12, atol=1e-15)


def test_angular_g4_counts_an_angle_between_equal_species_once(x64):
    # methylene-like: one C, two H at 1.09 A and 109.5 degrees
    angle = math.radians(109.5)
    z = np.array([6, 1, 1])
    positions = np.array(
        [[0, 0, 0], [1.09, 0, 0], [1.09 * math.cos(angle), 1.09 * math.sin(angle), 0]]
    )
    zeta, lambda_, eta, r_cut = 2.0, -1.0, 0.1, 3.0
    g4 = np.asarray(
        nn.angular_symmetry_functions(
            z, positions, z > 0, species=(1, 6), zeta=zeta, lambda_=lambda_, eta=eta, r_cut=r_cut
        )
    )
    r_hh = np.linalg.norm(positions[1] - positions[2])
    one_angle = (
        2 ** (1 - zeta)
        * (1 + lambda_ * math.cos(angle)) ** zeta
        * math.exp(-eta * (2 * 1.09**2 + r_hh**2))
        * _fc(1.09, r_cut) ** 2
        * _fc(r_hh, r_cut)
    )
    # pair order (1, 1), (1, 6), (6, 6): the C sees one H-H angle, once
    np.testing.assert_allclose(g4[0, :, 0], [one_angle, 0.0, 0.0], rtol=1e-12, atol=1e-15)


def test_cutoff_value_and_slope_vanish_at_the_cutoff(x64):
    eta, r_s, r_cut = 0.7, 1.5, 3.0
    z = np.array([6, 8])

    @jax.jit
    def g2(r):
        positions = jnp.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]).at[1, 0].set(r)
        return nn.radial_symmetry_functions(
            z, positions, z > 0, species=(8,), eta=eta, r_s=r_s, r_cut=r_cut
        )[0, 0, 0]

    assert float(g2(r_cut)) == 0.0 and float(g2(r_cut + 0.1)) == 0.0
    assert float(jax.grad(g2)(r_cut)) == 0.0 and float(jax.grad(g2)(r_cut + 0.1)) == 0.0
    # just inside, f_c(r_c - h) = (pi h / r_c)^2 / 4 + O(h^4): value O(h^2), slope O(h)
    gauss = math.exp(-eta * (r_cut - r_s) ** 2)
    for h in (1e-2, 1e-3, 1e-4):
        value, slope = g2(r_cut - h), jax.grad(g2)(r_cut - h)
        assert float(value) == pytest.approx(gauss * (math.pi * h / r_cut) ** 2 / 4, rel=3 * h)
        assert float(-slope) == pytest.approx(gauss * math.pi**2 * h / (2 * r_cut**2), rel=5 * h)

    # angular: a third atom leaving the centre's cutoff (while still within r_c of the
    # other neighbour) switches its angle off with value and slope going to zero
    direction = jnp.array([math.cos(math.pi / 6), math.sin(math.pi / 6), 0.0])

    @jax.jit
    def g4(x):
        positions = jnp.stack([jnp.zeros(3), jnp.array([1.2, 0.0, 0.0]), x * direction])
        return nn.angular_symmetry_functions(
            np.array([6, 1, 1]),
            positions,
            np.ones(3, bool),
            species=(1,),
            zeta=1.0,
            lambda_=1.0,
            eta=0.01,
            r_cut=r_cut,
        )[0, 0, 0]

    assert float(g4(r_cut)) == 0.0 and float(jax.grad(g4)(r_cut)) == 0.0
    assert float(g4(r_cut - 0.5)) > 1e-3
    for h in (1e-3, 1e-4):
        assert 0.0 < float(g4(r_cut - h)) < h**2
        assert 0.0 < float(-jax.grad(g4)(r_cut - h)) < h


def test_gradients_are_finite_and_match_finite_differences(x64):
    rng = np.random.default_rng(3)
    z, positions, mask = _molecule(rng, 6, 9)
    positions[~mask] = 0.0  # padding atoms stacked on each other: zero distances
    weights = {k: rng.normal(size=v.shape) for k, v in _all_descriptors(z, positions, mask).items()}

    def energy(name):
        return lambda p: jnp.sum(weights[name] * _all_descriptors(z, p, mask)[name])

    h = 1e-6
    real = np.flatnonzero(mask)
    steps = np.zeros((len(real), 3, *positions.shape))
    for i, a in enumerate(real):
        steps[i, :, a, :] = h * np.eye(3)
    steps = steps.reshape(-1, *positions.shape)
    for name in weights:
        gradient = np.asarray(jax.jit(jax.grad(energy(name)))(positions))
        assert np.all(np.isfinite(gradient)), name
        assert np.all(gradient[~mask] == 0.0), name
        assert np.abs(gradient[mask]).max() > 1e-3, name
        batched = jax.jit(jax.vmap(energy(name)))
        fd = (batched(positions + steps) - batched(positions - steps)) / (2 * h)
        np.testing.assert_allclose(
            gradient[real],
            np.asarray(fd).reshape(len(real), 3),
            rtol=1e-6,
            atol=1e-7,
            err_msg=name,
        )


@pytest.mark.parametrize("species", [(), (1, 1, 6), (0, 1)])
def test_bad_species_names_the_fix(species):
    with pytest.raises(ValueError, match="distinct atomic numbers"):
        nn.radial_symmetry_functions(
            WATER_Z, WATER_R, WATER_Z > 0, species=species, eta=1.0, r_s=1.0, r_cut=3.0
        )
