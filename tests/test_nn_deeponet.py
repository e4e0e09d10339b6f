"""DeepONet: Cartesian-product evaluation agrees with pointwise evaluation; stacked and
unstacked variants; linearity in the branch output."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.nn import DeepONet


@pytest.mark.parametrize("variant", ["unstacked", "stacked"])
@pytest.mark.parametrize("out_channels", [1, 3])
def test_cartesian_product_matches_pointwise(variant, out_channels):
    net = DeepONet(20, 2, latent_dim=8, out_channels=out_channels, variant=variant, key=jr.key(0))
    u = jr.normal(jr.key(1), (20,))
    y = jr.uniform(jr.key(2), (15, 2))
    grid = net(u, y)
    pointwise = jax.vmap(lambda yy: net.evaluate(u, yy))(y)
    expected_shape = (15,) if out_channels == 1 else (15, out_channels)
    assert grid.shape == expected_shape
    np.testing.assert_allclose(grid, pointwise, rtol=1e-5, atol=1e-6)


def test_output_is_inner_product_of_branch_and_trunk():
    net = DeepONet(10, 1, latent_dim=5, key=jr.key(3))
    u = jr.normal(jr.key(4), (10,))
    y = jnp.linspace(0, 1, 7)[:, None]
    b = net.branch(u)
    t = jax.vmap(net.trunk)(y)
    np.testing.assert_allclose(net(u, y), t @ b + net.bias[0], rtol=1e-5, atol=1e-6)


def test_stacked_has_independent_branches():
    # p independently initialised branch nets: their coefficients, seen as functions of u,
    # are linearly independent, so over more inputs than p they span p dimensions. One key
    # shared by all branches makes every column equal (rank 1).
    p = 6
    net = DeepONet(10, 1, latent_dim=p, variant="stacked", key=jr.key(5))
    assert net.branch.layers[0].weight.shape[0] == p  # one stacked leaf axis of size p
    us = jr.normal(jr.key(7), (3 * p, 10))
    coeffs = jax.vmap(net.branch_coefficients)(us)[:, 0, :]  # (3p, p)
    singular = np.linalg.svd(np.asarray(coeffs), compute_uv=False)
    assert singular[-1] > 1e-3 * singular[0]
    # and branch k is the k-th slice of the stacked leaves, evaluated on its own
    for k in (0, p - 1):
        take_k = lambda leaf, k=k: leaf[k] if eqx.is_array(leaf) else leaf
        branch_k = jax.tree.map(take_k, net.branch)
        np.testing.assert_allclose(branch_k(us[0]), coeffs[0, k], rtol=1e-5, atol=1e-6)


def test_rejects_bad_shapes():
    net = DeepONet(10, 1, latent_dim=4, key=jr.key(6))
    with pytest.raises(ValueError, match="10 sensors"):
        net(jnp.ones(9), jnp.ones((3, 1)))
    with pytest.raises(ValueError, match=r"\(n, 1\)"):
        net(jnp.ones(10), jnp.ones(3))
    with pytest.raises(ValueError, match="variant"):
        DeepONet(10, 1, variant="deep", key=jr.key(0))


@pytest.mark.parametrize("variant", ["unstacked", "stacked"])
def test_activation_by_name_is_the_named_function(variant):
    u, y = jnp.linspace(-1.0, 1.0, 6), jnp.linspace(0.0, 1.0, 8)[:, None]

    def net(activation):
        return DeepONet(6, 1, latent_dim=3, variant=variant, activation=activation, key=jr.key(7))

    by_name = net("tanh")(u, y)
    np.testing.assert_array_equal(by_name, net(jax.nn.tanh)(u, y))
    assert not np.allclose(by_name, net(jax.nn.relu)(u, y))


def test_the_trunk_uses_the_given_activation():
    # With the identity the trunk is affine, so the output is affine in y (a ReLU trunk
    # would bend it).
    net = DeepONet(6, 1, latent_dim=4, activation=lambda x: x, key=jr.key(8))
    y = jnp.linspace(-2.0, 2.0, 9)[:, None]
    out = net(jnp.linspace(-1.0, 1.0, 6), y)
    np.testing.assert_allclose(np.diff(out, 2), 0.0, atol=1e-5)
