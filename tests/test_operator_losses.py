"""Relative L2 / H1 losses against closed-form values on Fourier modes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.losses import relative_h1_loss, relative_l2_loss


def test_relative_l2_of_orthogonal_modes():
    x = jnp.arange(64) / 64
    u = jnp.sin(2 * jnp.pi * x)
    e = 0.1 * jnp.cos(2 * jnp.pi * 3 * x)
    # orthogonal modes of equal norm: ||e|| / ||u|| = 0.1
    np.testing.assert_allclose(relative_l2_loss(u + e, u), 0.1, rtol=1e-5)
    batch = jnp.stack([u, 2 * u])
    np.testing.assert_allclose(
        jnp.mean(jax.vmap(relative_l2_loss)(1.5 * batch, batch)), 0.5, rtol=1e-6
    )


def test_relative_h1_weights_the_gradient():
    n, L = 128, 2.0
    x = jnp.arange(n) * L / n
    u = jnp.sin(2 * jnp.pi * x / L)[None]  # kappa = pi
    e = 0.1 * jnp.sin(2 * jnp.pi * 5 * x / L)[None]  # kappa = 5 pi
    expected = 0.1 * np.sqrt((1 + 25 * np.pi**2) / (1 + np.pi**2))
    np.testing.assert_allclose(relative_h1_loss(u + e, u, domain_extent=L), expected, rtol=1e-5)


def test_relative_h1_2d_reduces_to_l2_for_constant_error():
    u = jnp.ones((1, 8, 8)) * 2.0
    np.testing.assert_allclose(relative_h1_loss(u * 1.25, u), 0.25, rtol=1e-6)


def test_losses_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        relative_l2_loss(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match="channels"):
        relative_h1_loss(jnp.ones(8), jnp.ones(8))
