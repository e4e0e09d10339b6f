"""Finite-difference heat steppers against exact modes and fitted orders."""

import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.analysis import fit_convergence_order
from sciml_jax.ops import dst1, fd_laplacian, fd_spacing
from sciml_jax.sim import HeatCrankNicolson, HeatExplicit, rollout_final


def test_fd_laplacian_second_order_and_dirichlet_eigenvector(x64):
    errors, spacings = [], []
    for n in (16, 32, 64):
        h = fd_spacing(2 * jnp.pi, n, "periodic")
        x = jnp.arange(n) * h
        u = jnp.sin(x)[None]
        errors.append(float(jnp.max(jnp.abs(fd_laplacian(u, h) + u))))
        spacings.append(h)
    order, _ = fit_convergence_order(spacings, errors)
    assert abs(order - 2) <= 0.05
    # sin(pi m x) sampled at interior points is an exact eigenvector (Dirichlet).
    n, m = 15, 3
    h = fd_spacing(1.0, n, "dirichlet")
    x = jnp.arange(1, n + 1) * h
    v = jnp.sin(m * jnp.pi * x)[None]
    eigenvalue = -4 / h**2 * jnp.sin(m * jnp.pi * h / 2) ** 2
    np.testing.assert_allclose(fd_laplacian(v, h, "dirichlet"), eigenvalue * v, atol=1e-10)


def test_dst1_is_its_own_inverse_up_to_scale(x64, getkey):
    import jax

    u = jax.random.normal(getkey(), (3, 11))
    np.testing.assert_allclose(dst1(dst1(u)) * 2 / 12, u, atol=1e-13)


@pytest.mark.parametrize("boundary", ["periodic", "dirichlet"])
def test_crank_nicolson_is_second_order_in_time(x64, boundary):
    n, alpha, t_final = 31, 0.5, 0.2
    h = fd_spacing(1.0, n, boundary)
    x = jnp.arange(n) * h if boundary == "periodic" else jnp.arange(1, n + 1) * h
    mode = jnp.sin(2 * jnp.pi * x)[None]
    # Exact solution of the semi-discrete system: the mode times exp(alpha lambda t).
    lam = -4 / h**2 * jnp.sin(2 * jnp.pi * h / 2) ** 2
    exact = mode * jnp.exp(alpha * lam * t_final)
    steps = [10, 20, 40]
    errors = []
    for m in steps:
        stepper = HeatCrankNicolson(1, 1.0, n, t_final / m, diffusivity=alpha, boundary=boundary)
        errors.append(float(jnp.max(jnp.abs(rollout_final(stepper, mode, m) - exact))))
    order, _ = fit_convergence_order(t_final / np.array(steps), errors)
    assert abs(order - 2) <= 0.3, errors


def test_explicit_heat_decays_mode_by_its_amplification_factor(x64):
    n, alpha, dt = 32, 1.0, 1e-4
    stepper = HeatExplicit(2, 1.0, n, dt, diffusivity=alpha, boundary="dirichlet")
    h = stepper.spacing
    x = jnp.arange(1, n + 1) * h
    u0 = (jnp.sin(jnp.pi * x)[:, None] * jnp.sin(2 * jnp.pi * x)[None, :])[None]
    factor = 1 + alpha * dt * (-4 / h**2) * (
        jnp.sin(jnp.pi * h / 2) ** 2 + jnp.sin(2 * jnp.pi * h / 2) ** 2
    )
    np.testing.assert_allclose(rollout_final(stepper, u0, 50), factor**50 * u0, atol=1e-12)
    # ... and it approximates the continuous decay exp(-5 pi^2 alpha t) to O(h^2).
    continuous = jnp.exp(-5 * jnp.pi**2 * alpha * 50 * dt)
    assert abs(float(factor**50 / continuous) - 1) <= 5 * h**2


def test_bad_boundary_raises():
    with pytest.raises(ValueError, match="boundary"):
        HeatExplicit(1, 1.0, 8, 0.1, boundary="neumann")
