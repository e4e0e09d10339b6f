"""Stability analysis against the closed-form heat symbol and dense eigensolves."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.analysis import (
    fit_convergence_order,
    fourier_symbol,
    jacobian_spectrum,
    max_stable_dt,
    spectral_radius,
)
from sciml_jax.sim import AllenCahnStepper, HeatCrankNicolson, HeatExplicit


def test_explicit_heat_symbol_matches_closed_form(x64):
    n, alpha, dt = 64, 0.7, 2e-4
    stepper = HeatExplicit(1, 1.0, n, dt, diffusivity=alpha)
    r = alpha * dt / stepper.spacing**2
    k = jnp.arange(n)
    expected = 1 - 4 * r * jnp.sin(jnp.pi * k / n) ** 2
    symbol = fourier_symbol(stepper, (1, n))
    np.testing.assert_allclose(symbol.real, expected, atol=1e-13)
    assert float(jnp.max(jnp.abs(symbol.imag))) <= 1e-13


def test_symbol_spectral_radius_equals_dense_eigensolve(x64):
    # A 2D explicit step and an unstable one: both must agree with the dense spectrum.
    for dt in (1e-3, 3e-3):
        stepper = HeatExplicit(2, 1.0, 12, dt, diffusivity=0.1)
        dense = jacobian_spectrum(stepper, jnp.zeros((1, 12, 12)))
        symbol = fourier_symbol(stepper, (1, 12, 12))
        np.testing.assert_allclose(
            np.sort(dense.real), np.sort(np.asarray(symbol.real).ravel()), atol=1e-12
        )
        np.testing.assert_allclose(
            float(spectral_radius(stepper, (1, 12, 12))), np.max(np.abs(dense)), rtol=1e-12
        )


@pytest.mark.parametrize("num_spatial_dims", [1, 2])
def test_max_stable_dt_recovers_cfl_limit(x64, num_spatial_dims):
    n, alpha = 32, 0.25
    stepper = HeatExplicit(num_spatial_dims, 2.0, n, 1e-3, diffusivity=alpha)
    # alpha dt / dx^2 <= 1 / (2 d); the Nyquist mode sets the limit for even n.
    expected = stepper.spacing**2 / (2 * num_spatial_dims * alpha)
    assert abs(max_stable_dt(stepper, dt_max=1.0) - expected) <= 1e-8 * expected


def test_crank_nicolson_is_unconditionally_stable(x64):
    stepper = HeatCrankNicolson(1, 1.0, 32, 1.0, diffusivity=1.0)
    radius = float(spectral_radius(stepper, (1, 32)))
    assert radius <= 1.0 + 1e-14
    assert max_stable_dt(stepper, dt_max=1e6) == 1e6


def test_allen_cahn_equilibria_stability_from_jacobian_spectrum(x64):
    # u = +-1 are stable equilibria of u_t = eps u_xx + c(u - u^3): linearisation
    # eps d_xx - 2c has eigenvalues < 0, so the step's Jacobian has |lambda| < 1.
    # u = 0 is unstable: the k = 0 mode grows like exp(c dt). eps is large enough that
    # the modes removed by dealiasing (which see only the linear part c - eps k^2) decay.
    c, dt = 5.0, 0.01
    stepper = AllenCahnStepper(1, 2.0, 16, dt, diffusivity=5e-2, reaction_coefficient=c, order=4)
    stable = jacobian_spectrum(stepper, jnp.ones((1, 16)))
    unstable = jacobian_spectrum(stepper, jnp.zeros((1, 16)))
    np.testing.assert_allclose(np.abs(stable[0]), np.exp(-2 * c * dt), rtol=1e-5)
    np.testing.assert_allclose(np.abs(unstable[0]), np.exp(c * dt), rtol=1e-8)


def test_fit_convergence_order_recovers_power_law():
    h = np.array([0.1, 0.05, 0.025, 0.0125])
    order, constant = fit_convergence_order(h, 3.0 * h**2.5)
    assert abs(order - 2.5) <= 1e-10 and abs(constant - 3.0) <= 1e-9
    with pytest.raises(ValueError, match="positive"):
        fit_convergence_order([0.1, 0.05], [1e-3, 0.0])


def test_fourier_symbol_rejects_multichannel_shape():
    with pytest.raises(ValueError, match="one-channel"):
        fourier_symbol(lambda u: u, (2, 8))
    with pytest.raises(ValueError, match="state_shape"):
        max_stable_dt(lambda dt: lambda u: u)
    _ = jax  # the tests above run jitted bisections through jax
