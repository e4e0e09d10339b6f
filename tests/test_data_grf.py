"""Gaussian random fields: empirical spectrum and covariance against the prescribed
operator sigma^2 (-Laplacian + tau^2)^-gamma; resolution consistency; Neumann walls."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.data import GaussianRandomField


def test_periodic_1d_spectrum_matches_eigenvalues(getkey):
    grf = GaussianRandomField(1, 64, sigma=25.0, tau=5.0, gamma=2.0)
    samples = jax.vmap(grf)(jr.split(getkey(), 4000))
    coeffs = np.fft.fft(np.asarray(samples), axis=-1) / 64  # c_k
    power = np.mean(np.abs(coeffs) ** 2, axis=0)
    k = np.arange(1, 8)
    expected = 625.0 * (4 * np.pi**2 * k**2 + 25.0) ** -2.0
    # |c_k|^2 is exponential with mean lambda_k: relative standard error 1/sqrt(4000) = 1.6%
    np.testing.assert_allclose(power[k], expected, rtol=0.08)
    np.testing.assert_allclose(power[-k], expected, rtol=0.08)


def test_periodic_2d_pointwise_variance_and_covariance(getkey):
    grf = GaussianRandomField(2, 16, sigma=7.0**1.5, tau=7.0, gamma=2.5)
    samples = np.asarray(jax.vmap(grf)(jr.split(getkey(), 3000)))
    lam = grf.eigenvalues()
    np.testing.assert_allclose(samples.var(axis=0).mean(), lam.sum(), rtol=0.05)
    # covariance at lag (3, 0): sum_k lambda_k cos(2 pi k_x 3/16), from the spectral theorem
    kx = np.fft.fftfreq(16, 1 / 16)[:, None]
    expected = np.sum(lam * np.cos(2 * np.pi * kx * 3 / 16))
    empirical = np.mean(samples * np.roll(samples, 3, axis=1))
    np.testing.assert_allclose(empirical, expected, rtol=0.1)


def test_neumann_pointwise_variance_and_zero_normal_derivative(getkey):
    grf = GaussianRandomField(
        2, 33, tau=3.0, gamma=2.0, sigma=3.0, boundary="neumann", num_modes=20
    )
    samples = np.asarray(jax.vmap(grf)(jr.split(getkey(), 3000)))
    exact = grf.pointwise_variance()
    assert exact.shape == (33, 33)
    # variance doubles towards walls (cos^2 -> 1); check corner, edge and centre
    for index in [(0, 0), (0, 16), (16, 16), (32, 7)]:
        np.testing.assert_allclose(samples[:, index[0], index[1]].var(), exact[index], rtol=0.1)


def test_neumann_field_has_zero_normal_derivative(getkey):
    # a resolved field (16 modes on 257 points): the one-sided difference at the wall is
    # O(h^2) while the interior one is O(h)
    grf = GaussianRandomField(1, 257, boundary="neumann", num_modes=16)
    samples = np.asarray(jax.vmap(grf)(jr.split(getkey(), 200)))
    wall_slope = np.abs(samples[:, 1] - samples[:, 0]).mean()
    interior_slope = np.abs(samples[:, 129] - samples[:, 128]).mean()
    assert wall_slope < 0.05 * interior_slope


def test_truncated_periodic_field_is_resolution_consistent(getkey):
    key = getkey()
    coarse = GaussianRandomField(1, 64, num_modes=32)(key)
    fine = GaussianRandomField(1, 256, num_modes=32)(key)
    np.testing.assert_allclose(fine[::4], coarse, atol=1e-5)
    # no energy above the retained band on the fine grid
    spectrum = np.abs(np.fft.rfft(np.asarray(fine)))
    assert spectrum[16:].max() < 1e-4 * spectrum[:16].max()


def test_zero_mean_removes_constant_mode(getkey):
    grf = GaussianRandomField(1, 32, zero_mean=True, tau=0.0, gamma=1.0)
    sample = grf(getkey())
    assert abs(float(jnp.mean(sample))) < 1e-5
    assert np.isfinite(grf.eigenvalues()).all()


def test_neumann_zero_mean_field_has_zero_average(getkey):
    # the Darcy coefficient field (Li et al. drop the constant mode): every cosine mode
    # 1 <= k < 2(n-1) sums to exactly zero under the trapezoid rule on x_j = j / (n-1)
    kwargs = dict(tau=3.0, gamma=2.0, boundary="neumann", num_modes=20)
    weights = np.ones(33)
    weights[[0, -1]] = 0.5
    key = getkey()
    centred = np.asarray(GaussianRandomField(2, 33, zero_mean=True, **kwargs)(key))
    assert abs(weights @ centred @ weights) / 32**2 < 1e-6 * np.abs(centred).max()
    # without it the average is the constant mode, of standard deviation 1 / tau^gamma
    full = np.asarray(jax.vmap(GaussianRandomField(2, 33, **kwargs))(jr.split(key, 400)))
    averages = np.einsum("i,sij,j->s", weights, full, weights) / 32**2
    np.testing.assert_allclose(averages.std(), 1 / 9, rtol=0.15)


def test_rejects_bad_parameters():
    with pytest.raises(ValueError, match="boundary"):
        GaussianRandomField(1, 32, boundary="dirichlet")
    with pytest.raises(ValueError, match="tau"):
        GaussianRandomField(1, 32, tau=0.0)
    with pytest.raises(ValueError, match="num_modes"):
        GaussianRandomField(1, 32, num_modes=64)
