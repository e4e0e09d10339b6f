"""Fourier-space operators of `sciml_jax.ops` against closed forms on trigonometric fields."""

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax import ops


def test_make_grid_is_the_uniform_periodic_grid(x64):
    grid = ops.make_grid(2, 3.0, 6, origin=-1.0)
    x = -1.0 + 0.5 * np.arange(6)  # x_j = origin + j L / N, right end excluded
    assert grid.shape == (2, 6, 6)
    np.testing.assert_allclose(grid[0], np.broadcast_to(x[:, None], (6, 6)))
    np.testing.assert_allclose(grid[1], np.broadcast_to(x[None, :], (6, 6)))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_spectral_shape_and_wavenumbers_match_numpy_rfftn(x64, dims):
    n, length = 6, 4.0
    shape = ops.spectral_shape(dims, n)
    assert shape == np.fft.rfftn(np.zeros((n,) * dims)).shape
    k = ops.wavenumbers(dims, length, n)
    assert k.shape == (dims, *shape)
    full = 2 * np.pi * np.fft.fftfreq(n, length / n)
    half = 2 * np.pi * np.fft.rfftfreq(n, length / n)
    np.testing.assert_allclose(np.moveaxis(np.asarray(k[-1]), -1, 0)[:, *([0] * (dims - 1))], half)
    if dims > 1:
        np.testing.assert_allclose(np.asarray(k[0])[(slice(None),) + (0,) * (dims - 1)], full)


def test_spectral_derivative_of_a_2d_trigonometric_field_is_exact(x64):
    length, n = 2 * np.pi, 16
    x, y = ops.make_grid(2, length, n)
    u = jnp.stack([jnp.sin(2 * x) * jnp.cos(3 * y)])
    np.testing.assert_allclose(
        ops.spectral_derivative(u, length, axis=0)[0],
        2 * jnp.cos(2 * x) * jnp.cos(3 * y),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        ops.spectral_derivative(u, length, axis=1, order=2)[0], -9 * u[0], atol=1e-11
    )
    np.testing.assert_allclose(
        ops.spectral_derivative(u, length, axis=1, order=3)[0],
        27 * jnp.sin(2 * x) * jnp.sin(3 * y),
        atol=1e-10,
    )


def test_spectral_derivative_refuses_the_channel_axis_naming_the_allowed_range():
    u = jnp.zeros((1, 8, 8))
    with pytest.raises(ValueError, match=r"axis must be in \[0, 2\) .*shape \(1, 8, 8\), got 2"):
        ops.spectral_derivative(u, 1.0, axis=2)


def test_fft_ifft_round_trip_over_the_spatial_axes_only(x64, getkey):
    u = jr.normal(getkey(), (3, 8, 8), jnp.float64)
    u_hat = ops.fft(u, 2)
    np.testing.assert_allclose(u_hat, np.fft.rfftn(np.asarray(u), axes=(-2, -1)), atol=1e-12)
    np.testing.assert_allclose(ops.ifft(u_hat, 2, 8), u, atol=1e-12)


def test_project_modes_keeps_exactly_the_low_modes(x64):
    length, n = 2 * np.pi, 16
    x, y = ops.make_grid(2, length, n)
    low = 1.5 + jnp.sin(x) * jnp.cos(2 * y)  # max |k| = 2
    high = jnp.cos(3 * x) + jnp.sin(5 * y)  # max |k| >= 3
    u = jnp.stack([low + high, 2 * low])
    projected = ops.project_modes(u, keep_modes=3)
    np.testing.assert_allclose(projected, jnp.stack([low, 2 * low]), atol=1e-12)
    assert projected.dtype == u.dtype
    no_mean = ops.project_modes(u, keep_modes=3, zero_mean=True)
    np.testing.assert_allclose(no_mean, jnp.stack([low - 1.5, 2 * low - 3.0]), atol=1e-12)
    assert ops.project_modes(u) is u


def test_project_modes_refuses_too_many_modes_naming_the_limit():
    with pytest.raises(ValueError, match=r"keep_modes=5 on a grid of shape \(8, 8\).* <= 4"):
        ops.project_modes(jnp.zeros((1, 8, 8)), keep_modes=5)
