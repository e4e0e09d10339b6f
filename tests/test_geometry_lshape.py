"""The L-shaped domain: exact area and centroid, interior points that miss the cut-away
box, boundary points on the six edges in proportion to their lengths, outward normals
that pass the divergence theorem, and the samplers built on it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.geometry import LShape, TimeDomain
from sciml_jax.sampling import CollocationSampler, unit_points

# A non-square, off-origin L so that a swapped coordinate or corner shows: the rectangle
# [-1, 2] x [0, 1.5] without (0.5, 2] x (1, 1.5].
LO, HI, CORNER = (-1.0, 0.0), (2.0, 1.5), (0.5, 1.0)
# The L as two rectangles (x0, x1, y0, y1): the bottom strip and the top-left block.
PIECES = ((-1.0, 2.0, 0.0, 1.0), (-1.0, 0.5, 1.0, 1.5))


def _domain() -> LShape:
    return LShape(LO, HI, corner=CORNER)


def _integral(f_x, f_y, pieces=PIECES) -> float:
    """Exact integral of `f_x(x) + f_y(y)` over the pieces, from antiderivatives."""
    return sum(
        (f_x(x1) - f_x(x0)) * (y1 - y0) + (x1 - x0) * (f_y(y1) - f_y(y0))
        for x0, x1, y0, y1 in pieces
    )


def test_area_is_exact_and_matches_monte_carlo(getkey):
    domain = _domain()
    exact = sum((x1 - x0) * (y1 - y0) for x0, x1, y0, y1 in PIECES)  # 3 + 0.75
    assert domain.volume == pytest.approx(exact, rel=1e-12)
    assert domain.volume == pytest.approx(3.75, rel=1e-12)
    n = 200_000
    box = jnp.asarray(LO) + (jnp.asarray(HI) - jnp.asarray(LO)) * jax.random.uniform(
        getkey(), (n, 2)
    )
    box_area = 4.5
    fraction = float(jnp.mean(domain.contains(box)))
    sigma = box_area * np.sqrt(fraction * (1 - fraction) / n)
    assert abs(box_area * fraction - exact) < 4 * sigma


def test_interior_points_are_inside_uniform_and_miss_the_cut(getkey):
    domain = _domain()
    points = jax.jit(lambda key: domain.from_unit(unit_points("sobol", key, 8192, 2)))(getkey())
    assert points.shape == (8192, 2)
    assert bool(jnp.all(domain.contains(points)))
    assert bool(jnp.all((points >= jnp.asarray(LO)) & (points <= jnp.asarray(HI))))
    in_cut = (points[:, 0] > CORNER[0]) & (points[:, 1] > CORNER[1])
    assert not bool(jnp.any(in_cut))
    # Uniform in area: the centroid and second moments are those of the L.
    area = domain.volume
    centroid = (
        _integral(lambda x: x**2 / 2, lambda y: 0.0 * y) / area,
        _integral(lambda x: 0.0 * x, lambda y: y**2 / 2) / area,
    )
    np.testing.assert_allclose(jnp.mean(points, axis=0), centroid, atol=2e-3)
    second = (
        _integral(lambda x: x**3 / 3, lambda y: 0.0 * y) / area,
        _integral(lambda x: 0.0 * x, lambda y: y**3 / 3) / area,
    )
    np.testing.assert_allclose(jnp.mean(points**2, axis=0), second, atol=3e-3)
    # The top-left block holds 0.75 / 3.75 of the area, so a fifth of the points.
    assert float(jnp.mean(points[:, 1] > CORNER[1])) == pytest.approx(0.2, abs=2e-3)
    # The i.i.d. sampler places its points the same way.
    iid = jax.jit(domain.sample_interior, static_argnums=1)(getkey(), 4096)
    assert bool(jnp.all(domain.contains(iid)))
    assert not bool(jnp.any((iid[:, 0] > CORNER[0]) & (iid[:, 1] > CORNER[1])))


def _edge_of(points, domain):
    """Index of the edge each point lies on (distance < 1e-5), -1 if none."""
    start = domain.vertices
    edges = np.roll(start, -1, axis=0) - start
    p = np.asarray(points, dtype=float)[:, None, :]
    s = np.clip(np.sum((p - start) * edges, axis=2) / np.sum(edges**2, axis=1), 0, 1)
    distance = np.linalg.norm(p - (start + s[..., None] * edges), axis=2)
    return np.where(distance.min(axis=1) < 1e-5, distance.argmin(axis=1), -1)


def test_boundary_points_lie_on_the_edges_in_proportion_to_length(getkey):
    domain = _domain()
    points = jax.jit(domain.sample_boundary, static_argnums=1)(getkey(), 40_000)
    edge = _edge_of(points, domain)
    assert np.all(edge >= 0)
    assert bool(jnp.all(domain.contains(points)))
    # Edges from lo, anticlockwise: 3, 1, 1.5, 0.5, 1.5, 1.5 (perimeter 9).
    lengths = np.array([3.0, 1.0, 1.5, 0.5, 1.5, 1.5])
    assert domain.perimeter == pytest.approx(9.0, rel=1e-12)
    expected = lengths / lengths.sum()
    counts = np.bincount(edge, minlength=6) / len(edge)
    np.testing.assert_allclose(counts, expected, atol=4 * np.sqrt(0.25 / len(edge)))
    # Uniform along an edge: the bottom edge's points average its midpoint x = 0.5.
    assert float(np.mean(np.asarray(points)[edge == 0, 0])) == pytest.approx(0.5, abs=0.02)


def test_outward_normals_are_the_edges_and_point_out(getkey):
    domain = _domain()
    points = jax.jit(domain.sample_boundary, static_argnums=1)(getkey(), 4000)
    normals = jax.jit(jax.vmap(domain.outward_normal))(points)
    edge = _edge_of(points, domain)
    expected = np.array([(0, -1), (1, 0), (0, 1), (1, 0), (0, 1), (-1, 0)], dtype=float)
    np.testing.assert_array_equal(np.asarray(normals), expected[edge])
    # Away from the vertices a small step along the normal leaves the L, one against it
    # stays inside: the normals point outwards, the notch's into the cut-away box too.
    distance_to_vertex = np.min(
        np.linalg.norm(np.asarray(points)[:, None] - domain.vertices[None], axis=2), axis=1
    )
    away = distance_to_vertex > 0.01
    step = 1e-3 * normals
    assert not bool(jnp.any(domain.contains(points + step)[away]))
    assert bool(jnp.all(domain.contains(points - step)[away]))


def test_divergence_theorem_with_the_outward_normals():
    # The boundary flux of F = (x^2, y^3) is the area integral of div F = 2x + 3y^2.
    domain = _domain()
    n = 90_000
    # Midpoints in arc length: a quadrature rule along the boundary.
    u = jnp.stack([(jnp.arange(n) + 0.5) / n, jnp.zeros(n)], axis=1)
    points = domain.boundary_from_unit(u)
    normals = jax.jit(jax.vmap(domain.outward_normal))(points)
    flux = domain.perimeter * float(
        jnp.mean(points[:, 0] ** 2 * normals[:, 0] + points[:, 1] ** 3 * normals[:, 1])
    )
    exact = _integral(lambda x: x**2, lambda y: y**3)
    assert flux == pytest.approx(exact, rel=1e-4)


def test_samplers_on_the_l_and_its_space_time_cylinder(getkey):
    domain = _domain()
    # Jitted: one compiled program instead of dozens of eagerly compiled small ops.
    sampler = CollocationSampler(domain, 96, 40)
    batch, _ = jax.jit(sampler.sample)(sampler.init(getkey()), getkey())
    assert batch["interior"].shape == (96, 2) and batch["boundary"].shape == (40, 2)
    assert bool(jnp.all(domain.contains(batch["interior"])))
    assert np.all(_edge_of(batch["boundary"], domain) >= 0)
    cylinder = TimeDomain(domain, 0.0, 0.5)
    sampler = CollocationSampler(cylinder, 128, 64, 32)
    batch, _ = jax.jit(sampler.sample)(sampler.init(getkey()), getkey())
    shapes = {name: batch[name].shape for name in ("interior", "boundary", "initial")}
    assert shapes == {"interior": (128, 3), "boundary": (64, 3), "initial": (32, 3)}
    assert bool(jnp.all(cylinder.contains(batch["interior"])))
    assert np.all(_edge_of(batch["boundary"][:, :2], domain) >= 0)
    assert bool(jnp.all((batch["boundary"][:, 2] >= 0.0) & (batch["boundary"][:, 2] <= 0.5)))
    assert bool(jnp.all(batch["initial"][:, 2] == 0.0))
    assert bool(jnp.all(domain.contains(batch["initial"][:, :2])))


@pytest.mark.parametrize(
    "corner, hi", [((1.5, 0.5), (1.0, 1.0)), ((0.0, 0.5), (1.0, 1.0)), ((0.5, 0.5, 0.5), (1, 1))]
)
def test_a_corner_outside_the_rectangle_is_refused(corner, hi):
    with pytest.raises(ValueError, match="lo < corner < hi"):
        LShape((0.0, 0.0), hi, corner=corner)
