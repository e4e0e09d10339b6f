"""Domains and samplers: placement on the right sets, exact stratification, and
Monte Carlo integrals that converge to known values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.geometry import Box, Disk, Interval, Rectangle, TimeDomain
from sciml_jax.sampling import (
    CollocationSampler,
    latin_hypercube,
    rad_select,
    rar_refine,
    unit_points,
)


def test_box_boundary_points_lie_on_faces_in_proportion_to_length(getkey):
    box = Rectangle((0.0, 0.0), (2.0, 1.0))
    points = box.sample_boundary(getkey(), 20000)
    on_x_face = (jnp.abs(points[:, 0]) < 1e-6) | (jnp.abs(points[:, 0] - 2.0) < 1e-6)
    on_y_face = (jnp.abs(points[:, 1]) < 1e-6) | (jnp.abs(points[:, 1] - 1.0) < 1e-6)
    assert bool(jnp.all(on_x_face | on_y_face))
    # Perimeter 6: the two x-faces have length 1 each, so a third of the points.
    assert abs(float(jnp.mean(on_x_face)) - 1 / 3) < 0.015
    # Points along a face are uniform: mean position along the long face is 1.
    assert abs(float(jnp.mean(points[on_y_face, 0])) - 1.0) < 0.03


def test_disk_interior_is_uniform_in_area(getkey):
    disk = Disk((1.0, -1.0), 2.0)
    points = disk.from_unit(unit_points("sobol", getkey(), 4096, 2))
    assert bool(jnp.all(disk.contains(points)))
    # E[|p - c|^2] over a disk of radius R is R^2 / 2.
    r2 = jnp.sum((points - jnp.array([1.0, -1.0])) ** 2, axis=1)
    assert abs(float(jnp.mean(r2)) - 2.0) < 5e-3
    boundary = disk.sample_boundary(getkey(), 100)
    radii = jnp.linalg.norm(boundary - jnp.array([1.0, -1.0]), axis=1)
    assert float(jnp.max(jnp.abs(radii - 2.0))) < 1e-5


def test_latin_hypercube_has_one_point_per_stratum(getkey):
    n, dim = 257, 3
    points = latin_hypercube(getkey(), n, dim)
    strata = np.sort(np.floor(np.asarray(points) * n).astype(int), axis=0)
    assert np.array_equal(strata, np.tile(np.arange(n)[:, None], (1, dim)))


def test_sobol_integrates_better_than_uniform(getkey):
    # int_[0,1]^2 exp(x + y) = (e - 1)^2; low discrepancy beats i.i.d. points by far.
    exact = (np.e - 1) ** 2
    f = lambda p: jnp.exp(p[:, 0] + p[:, 1])  # noqa: E731
    sobol_err = [
        abs(float(jnp.mean(f(unit_points("sobol", getkey(), 1024, 2)))) - exact) for _ in range(8)
    ]
    uniform_err = [
        abs(float(jnp.mean(f(unit_points("uniform", getkey(), 1024, 2)))) - exact) for _ in range(8)
    ]
    assert np.mean(sobol_err) < 0.2 * np.mean(uniform_err)
    assert np.mean(sobol_err) < 5e-3


def test_time_domain_subsets(getkey):
    domain = TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)
    sampler = CollocationSampler(domain, 128, 32, 16, method="lhs")
    batch, _ = sampler.sample(sampler.init(getkey()), getkey())
    assert batch["interior"].shape == (128, 2) and bool(jnp.all(domain.contains(batch["interior"])))
    assert bool(jnp.all(jnp.abs(jnp.abs(batch["boundary"][:, 0]) - 1.0) < 1e-6))
    assert bool(jnp.all(batch["initial"][:, 1] == 0.0))
    # Both ends of the interval are used.
    assert 0.2 < float(jnp.mean(batch["boundary"][:, 0] > 0)) < 0.8


def test_sampler_freezes_after_resample_until(getkey):
    sampler = CollocationSampler(Box((0.0,), (1.0,)), 8, resample_until=3)
    state = sampler.init(getkey())
    batches = []
    for _ in range(6):
        batch, state = sampler.sample(state, getkey())
        batches.append(batch["interior"])
    assert not jnp.allclose(batches[0], batches[1])
    assert bool(jnp.all(batches[2] == batches[3])) and bool(jnp.all(batches[3] == batches[5]))


def test_rad_concentrates_where_the_residual_is(getkey):
    candidates = jnp.linspace(0.0, 1.0, 1000)[:, None]
    residual = jnp.where(candidates[:, 0] > 0.8, 1.0, 0.0)
    chosen = rad_select(getkey(), candidates, residual, 500, k=1.0, c=0.0)
    assert bool(jnp.all(chosen[:, 0] > 0.8))
    # With c = 1 the density is 1 + |r|/mean|r| = 1 + 5 on the hot fifth,
    # which then holds 6 * 0.2 / (6 * 0.2 + 0.8) = 3/5 of the mass.
    chosen = rad_select(getkey(), candidates, residual, 20000, k=1.0, c=1.0)
    assert abs(float(jnp.mean(chosen[:, 0] > 0.8)) - 0.6) < 0.02


def test_rar_adds_the_worst_points():
    points = jnp.zeros((3, 1))
    candidates = jnp.arange(10.0)[:, None]
    refined = rar_refine(points, candidates, -(jnp.arange(10.0) ** 2), 2)
    assert refined.shape == (5, 1)
    assert set(np.asarray(refined[3:, 0]).tolist()) == {9.0, 8.0}


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="lo < hi"):
        Box((1.0,), (0.0,))
    with pytest.raises(ValueError, match="TimeDomain"):
        CollocationSampler(Interval(0.0, 1.0), 10, 0, 5)
    with pytest.raises(ValueError, match="unknown sampling method"):
        unit_points("halton", jax.random.key(0), 4, 2)
