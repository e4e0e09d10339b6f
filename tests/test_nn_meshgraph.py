"""The mesh-graph emulator's pieces against independent truths: the periodic triangulation
against the torus's topology (V - E + F = 0, every edge in two triangles, total area 1), the
spectral interpolation against a trigonometric polynomial evaluated in closed form, the
MeshGraphNet's symmetries (node relabelling, translating the periodic mesh), and a tiny fit
of a known linear operator, one explicit graph-diffusion step."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

from sciml_jax.geometry import jittered_points, minimum_image, periodic_triangulation
from sciml_jax.nn import MeshGraph, MeshGraphNet, MeshIncrementStepper, relative_position_features
from sciml_jax.ops import spectral_interpolate
from sciml_jax.sampling import MinibatchSampler
from sciml_jax.train import train_pure


def _graph(mesh):
    return MeshGraph(
        jnp.asarray(mesh.senders),
        jnp.asarray(mesh.receivers),
        relative_position_features(jnp.asarray(mesh.displacements, dtype=jnp.float32)),
    )


def test_periodic_triangulation_is_a_triangulation_of_the_torus():
    mesh = periodic_triangulation(jittered_points(9, 0.4, seed=3))
    n = mesh.num_nodes
    undirected = {tuple(sorted(pair)) for pair in zip(mesh.senders, mesh.receivers, strict=True)}
    # Euler characteristic of the torus: V - E + F = 0 with F = 2V
    assert mesh.triangles.shape[0] == 2 * n
    assert n - len(undirected) + mesh.triangles.shape[0] == 0
    # each edge borders exactly two triangles, and the areas tile the unit cell once
    counts = {}
    for tri in mesh.triangles:
        for a, b in ((0, 1), (1, 2), (2, 0)):
            key = tuple(sorted((tri[a], tri[b])))
            counts[key] = counts.get(key, 0) + 1
    assert set(counts.values()) == {2} and set(counts) == undirected
    v = mesh.triangle_vertices()
    a, b = v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]
    areas = 0.5 * (a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    assert np.all(areas > 0)  # counter-clockwise, none degenerate
    np.testing.assert_allclose(areas.sum(), 1.0, rtol=1e-12)
    # displacements are the minimum images of sender - receiver
    np.testing.assert_allclose(
        mesh.displacements, minimum_image(mesh.points[mesh.senders] - mesh.points[mesh.receivers])
    )


def test_triangulation_refuses_points_outside_the_cell():
    with pytest.raises(ValueError, match=r"\[0, 1\)\^2"):
        periodic_triangulation(jittered_points(4) + 1.0)
    with pytest.raises(ValueError, match="jitter=0.5"):
        jittered_points(4, jitter=0.5)


def _trig_polynomial(x, y):
    """Modes up to the Nyquist mode of an 8-point grid (k = 4 as a cosine, as the
    interpolant represents it)."""
    two_pi = 2 * np.pi
    return (
        np.sin(two_pi * (3 * x - 2 * y) + 0.4)
        + 0.7 * np.cos(two_pi * 4 * x) * np.cos(two_pi * y + 0.2)
        + 0.5 * np.cos(two_pi * 4 * x) * np.cos(two_pi * 4 * y)
        + np.cos(two_pi * (x + 3 * y) + 0.3)
        - 0.3
    )


def test_spectral_interpolation_is_exact_for_band_limited_fields(x64):
    n = 8
    g = np.arange(n) / n
    x, y = np.meshgrid(g, g, indexing="ij")
    points = np.random.default_rng(0).uniform(-1.0, 2.0, size=(200, 2))  # periodic: any x
    fields = np.stack([_trig_polynomial(x, y), _trig_polynomial(y, x)])  # a batch of two
    values = spectral_interpolate(jnp.asarray(fields), jnp.asarray(points))
    truth = np.stack([_trig_polynomial(*points.T), _trig_polynomial(*points[:, ::-1].T)])
    np.testing.assert_allclose(values, truth, atol=1e-12)
    # a period other than 1 rescales the points
    scaled = spectral_interpolate(jnp.asarray(fields[0]), jnp.asarray(3.0 * points), 3.0)
    np.testing.assert_allclose(scaled, truth[0], atol=1e-12)


def test_spectral_interpolation_in_float32_to_rounding():
    g = np.arange(16) / 16
    x, y = np.meshgrid(g, g, indexing="ij")
    points = np.random.default_rng(1).uniform(0.0, 1.0, size=(100, 2))
    values = spectral_interpolate(jnp.asarray(_trig_polynomial(x, y), jnp.float32), points)
    assert values.dtype == jnp.float32
    np.testing.assert_allclose(values, _trig_polynomial(*points.T), atol=2e-5)


def test_meshgraphnet_is_equivariant_under_node_relabelling(getkey):
    mesh = periodic_triangulation(jittered_points(6, seed=1))
    net = MeshGraphNet(1, 3, 1, latent_size=16, num_blocks=2, key=getkey())
    nodes = jr.normal(getkey(), (mesh.num_nodes, 1))
    apply = eqx.filter_jit(lambda net, nodes, graph: net(nodes, graph))
    out = apply(net, nodes, _graph(mesh))
    rng = np.random.default_rng(0)
    perm = rng.permutation(mesh.num_nodes)  # new node i is old node perm[i]
    new_index = np.argsort(perm)
    edge_order = rng.permutation(mesh.senders.size)
    relabelled = MeshGraph(
        jnp.asarray(new_index[mesh.senders][edge_order]),
        jnp.asarray(new_index[mesh.receivers][edge_order]),
        _graph(mesh).edge_features[edge_order],
    )
    out_relabelled = apply(net, nodes[perm], relabelled)
    assert float(jnp.max(jnp.abs(out))) > 0.1  # a non-trivial output
    np.testing.assert_allclose(out_relabelled, out[perm], atol=1e-6)


def test_meshgraphnet_is_invariant_under_translating_the_periodic_mesh(getkey):
    points = jittered_points(7, seed=2)
    mesh = periodic_triangulation(points)
    moved = periodic_triangulation(np.mod(points + np.array([0.3141, 0.7071]), 1.0))
    # the same triangles (as node sets) and the same edge vectors: translation invariance
    # of the periodic Delaunay mesh, which a mesh cut at the cell boundary would break
    key = lambda m: sorted(map(tuple, np.sort(m.triangles, axis=1)))  # noqa: E731
    assert key(moved) == key(mesh)
    order = lambda m: np.lexsort((m.receivers, m.senders))  # noqa: E731
    np.testing.assert_allclose(
        moved.displacements[order(moved)], mesh.displacements[order(mesh)], atol=1e-12
    )
    net = MeshGraphNet(1, 3, 1, latent_size=16, num_blocks=2, key=getkey())
    nodes = jr.normal(getkey(), (mesh.num_nodes, 1))
    apply = eqx.filter_jit(lambda net, graph: net(nodes, graph))
    np.testing.assert_allclose(apply(net, _graph(moved)), apply(net, _graph(mesh)), atol=1e-6)


def _diffusion_step(mesh, rate):
    """u + rate * sum over neighbours (u_j - u_i): one explicit graph-diffusion step."""
    s, r = jnp.asarray(mesh.senders), jnp.asarray(mesh.receivers)

    def step(u):
        return u + rate * jax.ops.segment_sum(u[s] - u[r], r, num_segments=u.shape[0])

    return step


def test_meshgraphnet_learns_an_explicit_diffusion_step(getkey):
    mesh = periodic_triangulation(jittered_points(5, seed=4))
    graph = _graph(mesh)
    truth = _diffusion_step(mesh, 0.05)
    net = MeshGraphNet(1, 3, 1, latent_size=16, num_blocks=2, key=getkey())
    no_constants = jnp.zeros((mesh.num_nodes, 0))
    # unit-scale states; the increment scale is about the operator's typical increment
    stepper = lambda net: MeshIncrementStepper(net, graph, no_constants, 1.0, 0.3)  # noqa: E731
    train_u = jr.normal(getkey(), (512, mesh.num_nodes, 1))
    test_u = jr.normal(getkey(), (64, mesh.num_nodes, 1))

    def increment_error(net, u):
        """Relative L2 error of the predicted increments against the exact ones."""
        du_true = jax.vmap(truth)(u) - u
        du = jax.vmap(stepper(net))(u) - u
        return jnp.sqrt(jnp.sum((du - du_true) ** 2) / jnp.sum(du_true**2))

    loss = lambda net, batch, key: increment_error(net, batch["u"]) ** 2  # noqa: E731
    optimizer = optax.adam(optax.cosine_decay_schedule(1e-2, 300, alpha=1e-2))
    sampler = MinibatchSampler({"u": train_u}, batch_size=32)
    trained, _ = eqx.filter_jit(
        lambda net, key: train_pure(net, loss, optimizer, 300, key=key, sampler=sampler)
    )(net, getkey())
    before, after = float(increment_error(net, test_u)), float(increment_error(trained, test_u))
    assert before > 0.5
    # held-out increments to 5 % after 300 Adam steps on 512 random fields (3.6 % seen)
    assert after < 0.05, (before, after)
