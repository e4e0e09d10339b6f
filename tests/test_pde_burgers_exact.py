"""The Cole–Hopf Burgers solution against independent truths: its initial condition,
the PDE itself (residual by autodiff), its symmetries and the literature's peak slope."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.pde import burgers_cole_hopf

NU = 0.01 / np.pi


def test_matches_initial_condition_as_t_goes_to_zero(x64):
    x = jnp.linspace(-1.0, 1.0, 101)
    # At t = 1e-8 the solution has moved by O(t) from u0 = -sin(pi x).
    u = burgers_cole_hopf(x, 1e-8, NU)
    assert float(jnp.max(jnp.abs(u + jnp.sin(jnp.pi * x)))) < 1e-6
    assert float(jnp.max(jnp.abs(burgers_cole_hopf(x, 0.0, NU) + jnp.sin(jnp.pi * x)))) < 1e-15


def test_satisfies_burgers_equation(x64):
    def u(x, t):
        return burgers_cole_hopf(x, t, NU)

    @jax.jit
    @jax.vmap
    def residual(x, t):
        u_t = jax.grad(u, 1)(x, t)
        u_x = jax.grad(u, 0)(x, t)
        u_xx = jax.grad(jax.grad(u, 0), 0)(x, t)
        return u_t + u(x, t) * u_x - NU * u_xx, u_x

    x = jnp.array([0.3, 0.01, 0.0005, -0.5, 0.001])
    t = jnp.array([0.2, 0.6, 0.4, 0.05, 0.9])
    r, u_x = residual(x, t)
    # Terms are as large as |u u_x| ~ 100 inside the front; the residual is round-off.
    assert float(jnp.max(jnp.abs(r) / jnp.maximum(1.0, jnp.abs(u_x)))) < 1e-11


def test_odd_symmetry_and_zero_boundary(x64):
    x = jnp.linspace(-1.0, 1.0, 64)
    t = jnp.linspace(0.05, 0.99, 9)[:, None]
    u = burgers_cole_hopf(x, t, NU)
    assert float(jnp.max(jnp.abs(u + u[:, ::-1]))) < 1e-13
    assert float(jnp.max(jnp.abs(u[:, 0]))) < 1e-13
    assert float(jnp.max(jnp.abs(u[:, -1]))) < 1e-13


def test_peak_slope_matches_basdevant(x64):
    # Basdevant et al. (1986): for nu = 0.01/pi the steepest slope at x = 0 is
    # |u_x| = 152.00516, reached at t = 1.6037 / pi.
    u_x = jax.grad(lambda x, t: burgers_cole_hopf(x, t, NU), 0)
    times = jnp.linspace(0.505, 0.515, 101)
    slopes = jax.vmap(lambda t: u_x(0.0, t))(times)
    assert abs(float(-jnp.min(slopes)) - 152.00516) < 5e-5
    assert abs(float(times[jnp.argmin(slopes)]) * np.pi - 1.6037) < 1e-3


def test_rejects_nonpositive_viscosity():
    with pytest.raises(ValueError, match="positive viscosity"):
        burgers_cole_hopf(0.0, 0.5, 0.0)
