"""Neighbour lists against an independent brute-force search (numpy loops over images)."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.atoms import (
    FreeSpace,
    NeighborListOverflowError,
    PeriodicSpace,
    neighbor_list,
    reallocate,
    update,
)


def reference_pairs(space, positions, r_max, *, half):
    """`{(i, j, n)}` with `|r_j - r_i + n C| < r_max`, by loops over enough images."""
    positions = np.asarray(positions, dtype=np.float64)
    n, d = positions.shape
    if isinstance(space, PeriodicSpace):
        cell = np.asarray(space.cell, dtype=np.float64)
        widths = 1.0 / np.linalg.norm(np.linalg.inv(cell).T, axis=-1)
        span = np.abs(positions @ np.linalg.inv(cell)).max() + 1
        ks = [int(math.ceil(r_max / w + 2 * span)) for w in widths]
        images = np.array(list(itertools.product(*[range(-k, k + 1) for k in ks])))
    else:
        cell, images = np.zeros((d, d)), np.zeros((1, d), dtype=int)
    found = set()
    for i in range(n):
        vec = positions[:, None, :] + (images @ cell)[None] - positions[i]
        for j, m in zip(*np.nonzero(np.linalg.norm(vec, axis=-1) < r_max), strict=True):
            if i != j or images[m].any():
                found.add(canonical(i, int(j), images[m], half))
    return found


def canonical(i, j, shift, half):
    key = (i, j, tuple(int(x) for x in shift))
    return min(key, (j, i, tuple(-int(x) for x in shift))) if half else key


def listed_pairs(nbrs, space, positions, r_max):
    vec = np.asarray(nbrs.pair_vectors(space, positions), dtype=np.float64)
    keep = np.asarray(nbrs.mask) & (np.linalg.norm(vec, axis=-1) < r_max)
    shifts = np.rint(np.asarray(nbrs.shifts)[keep]).astype(int)
    pairs = [
        canonical(int(a), int(b), c, nbrs.half)
        for a, b, c in zip(
            np.asarray(nbrs.senders)[keep], np.asarray(nbrs.receivers)[keep], shifts, strict=True
        )
    ]
    assert len(pairs) == len(set(pairs)), "a pair is listed twice"
    return set(pairs)


TRICLINIC = np.array([[5.0, 0.0, 0.0], [1.2, 4.5, 0.0], [0.6, -0.8, 6.0]])


CASES = [
    (np.diag([7.0, 8.0, 9.0]), 1.6, "cell"),  # several bins per direction
    (TRICLINIC, 1.4, "cell"),  # triclinic, two or three bins
    (TRICLINIC, 3.6, "cell"),  # cutoff + skin > half the cell: images replicated
    (np.diag([2.0, 9.0, 3.0]), 2.5, "cell"),  # thinner than the cutoff in x
    (np.array([[2.0, 0.0], [0.7, 1.5]]), 2.3, "cell"),  # 2-D, many images per particle
    (TRICLINIC, 3.6, "brute"),
    (np.array([[2.0, 0.0], [0.7, 1.5]]), 2.3, "brute"),
]


@pytest.mark.parametrize("half", [True, False])
@pytest.mark.parametrize("cell, cutoff, method", CASES)
def test_list_equals_brute_force(cell, cutoff, half, method):
    rng = np.random.default_rng(0)
    space = PeriodicSpace(cell)
    n = 48 if cell.shape[0] == 3 else 7
    # Fractional coordinates in [-1.5, 2.5): many particles lie outside the cell.
    positions = rng.uniform(-1.5, 2.5, size=(n, cell.shape[0])) @ cell
    skin = 0.3
    nbrs = neighbor_list(space, positions, cutoff, skin=skin, method=method, half=half)
    assert not bool(nbrs.overflow)
    r = cutoff + skin - 1e-6
    assert listed_pairs(nbrs, space, positions, r) == reference_pairs(
        space, positions, r, half=half
    )


def test_free_space_list():
    positions = np.random.default_rng(1).uniform(-3, 3, size=(40, 3))
    nbrs = neighbor_list(FreeSpace(), positions, 1.5, skin=0.2)
    assert listed_pairs(nbrs, FreeSpace(), positions, 1.7 - 1e-6) == reference_pairs(
        FreeSpace(), positions, 1.7 - 1e-6, half=True
    )


def test_update_rebuilds_only_past_half_the_skin():
    rng = np.random.default_rng(2)
    space = PeriodicSpace.orthorhombic(jnp.full(3, 9.0))
    positions = jnp.asarray(rng.uniform(0, 9, size=(300, 3)))
    nbrs = neighbor_list(space, positions, 1.5, skin=0.4, method="cell")
    step = jax.jit(lambda nb, x: update(nb, space, x))
    small = step(nbrs, positions.at[0].add(0.19 / math.sqrt(3)))
    assert int(small.builds) == 0
    # A particle that left the cell through a face (positions stay unwrapped).
    moved = positions.at[0].set(jnp.array([-0.4, 9.3, 4.0]))
    big = step(nbrs, moved)
    assert int(big.builds) == 1 and not bool(big.overflow)
    assert listed_pairs(big, space, moved, 1.9 - 1e-6) == reference_pairs(
        space, moved, 1.9 - 1e-6, half=True
    )


@pytest.mark.parametrize("method", ["cell", "brute"])
def test_overflow_is_flagged_sticky_and_reallocated(method):
    rng = np.random.default_rng(3)
    space = PeriodicSpace.orthorhombic(jnp.full(3, 10.0))
    gas = jnp.asarray(rng.uniform(0, 10, size=(200, 3)))
    nbrs = neighbor_list(space, gas, 1.5, skin=0.3, method=method)
    assert not bool(nbrs.overflow)
    # Compress towards the centre: far more pairs than the gas had.
    dense = 5.0 + 0.4 * (gas - 5.0)
    step = jax.jit(lambda nb, x: update(nb, space, x))
    crowded = step(nbrs, dense)
    assert bool(crowded.overflow) and int(crowded.count) > nbrs.capacity
    # Sticky: expanding again does not clear the flag, the count keeps its maximum.
    back = step(crowded, gas + 1.0)
    assert bool(back.overflow) and int(back.count) == int(crowded.count)
    bigger = reallocate(crowded, space)
    assert not bool(bigger.overflow) and bigger.capacity >= int(crowded.count)
    fresh = neighbor_list(space, dense, 1.5, skin=0.3, method=method, capacity=bigger.capacity)
    same = step(bigger, dense + 0.0)
    for a, b in [(same.senders, fresh.senders), (same.receivers, fresh.receivers)]:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(NeighborListOverflowError, match="needs"):
        reallocate(crowded, space, max_capacity=nbrs.capacity)


def test_given_capacity_too_small_overflows():
    positions = np.random.default_rng(4).uniform(0, 5, size=(50, 3))
    space = PeriodicSpace.orthorhombic(jnp.full(3, 5.0))
    assert bool(neighbor_list(space, positions, 2.0, capacity=10).overflow)


def test_bad_input_is_refused():
    space = PeriodicSpace.orthorhombic(jnp.full(3, 4.0))
    good = np.random.default_rng(5).uniform(0, 4, size=(10, 3))
    with pytest.raises(ValueError, match="NaN or inf"):
        neighbor_list(space, _with_nan(good), 1.0)
    with pytest.raises(ValueError, match="replicate=False"):
        neighbor_list(space, good, 2.5, skin=0.1, replicate=False)
    with pytest.raises(ValueError, match="2-dimensional"):
        neighbor_list(space, good[:, :2], 1.0)
    with pytest.raises(ValueError, match="method="):
        neighbor_list(space, good, 1.0, method="verlet")


def _with_nan(x):
    x = np.array(x)
    x[3, 1] = np.nan
    return x
