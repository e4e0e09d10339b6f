"""Loss terms of `sciml_jax.losses` against their closed forms on hand-made inputs."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.losses import (
    beta_nll_loss,
    cell_balance,
    gaussian_nll_loss,
    monotonicity_penalty,
    periodic_loss,
)
from sciml_jax.pde import StefanEnthalpy


def _inputs():
    """Mean, variance and target of four points (built inside the x64 tests: float64)."""
    return (
        jnp.array([0.5, -1.0, 2.0, 0.0]),
        jnp.array([0.25, 1.0, 4.0, 0.5]),
        jnp.array([1.0, -0.5, -1.0, 0.3]),
    )


def test_gaussian_nll_is_the_mean_negative_log_density(x64):
    mean, variance, target = _inputs()
    m, v, y = map(np.asarray, (mean, variance, target))
    density = np.exp(-((y - m) ** 2) / (2 * v)) / np.sqrt(2 * np.pi * v)
    assert float(gaussian_nll_loss(mean, variance, target)) == pytest.approx(
        -np.mean(np.log(density)), rel=1e-12
    )
    # minimised over the variance at the squared residual
    d_variance = jax.grad(gaussian_nll_loss, argnums=1)(mean, (target - mean) ** 2, target)
    np.testing.assert_allclose(d_variance, 0.0, atol=1e-12)


def test_beta_nll_interpolates_between_the_nll_and_the_squared_error(x64):
    mean, variance, target = _inputs()
    assert float(beta_nll_loss(mean, variance, target, beta=0.0)) == pytest.approx(
        float(gaussian_nll_loss(mean, variance, target)), rel=1e-12
    )
    weights = np.asarray(variance) ** 0.5
    nll = 0.5 * (np.log(2 * math.pi * variance) + (target - mean) ** 2 / variance)
    assert float(beta_nll_loss(mean, variance, target)) == pytest.approx(
        float(np.mean(weights * nll)), rel=1e-12
    )
    # beta = 1: the mean gets the gradient of half the mean squared error
    d_mean = jax.grad(beta_nll_loss)(mean, variance, target, 1.0)
    np.testing.assert_allclose(d_mean, -(target - mean) / len(mean), atol=1e-12)
    with pytest.raises(ValueError, match="beta=1.5; expected 0 <= beta <= 1"):
        beta_nll_loss(mean, variance, target, beta=1.5)


def test_monotonicity_penalty_is_the_mean_squared_wrong_way_slope(x64):
    # u = x^3 - x + y: du/dx = 3 x^2 - 1 is negative for |x| < 1/sqrt(3)
    def u(p):
        return p[0] ** 3 - p[0] + p[1]

    x = jnp.linspace(-1.0, 1.0, 9)
    points = jnp.stack([x, 2 * x], axis=1)
    slope = 3 * x**2 - 1
    rising = monotonicity_penalty(u, points)
    falling = monotonicity_penalty(u, points, increasing=False)
    assert float(rising) == pytest.approx(float(jnp.mean(jnp.minimum(slope, 0) ** 2)), rel=1e-12)
    assert float(falling) == pytest.approx(float(jnp.mean(jnp.maximum(slope, 0) ** 2)), rel=1e-12)
    assert float(monotonicity_penalty(u, points, axis=1)) == 0.0  # du/dy = 1


class _Quadratic:
    """T = 2 + q t + r x^2 > 0: liquid everywhere; also its own level set."""

    q, r = 0.7, 1.5

    def __call__(self, p):
        return 2 + self.q * p[1] + self.r * p[0] ** 2

    level = __call__


@pytest.mark.parametrize("sharp", [False, True])
def test_cell_balance_of_a_liquid_quadratic_is_q_minus_2_alpha_r_in_every_cell(x64, sharp):
    # dH/dt = T_t = q everywhere (latent heat constant in the liquid) and the flux jump
    # over a cell of length l is alpha * 2 r l, so the balance per unit length is exact.
    pde = StefanEnthalpy(stefan_number=0.5, diffusivity=0.4, mushy_width=1e-3)
    lattice = jnp.linspace(0.0, 1.0, 4 * 3 + 1)
    times = jnp.array([0.1, 0.5, 0.9])
    balance = cell_balance(_Quadratic(), pde, lattice, 4, times, sharp)
    assert balance.shape == (3, 4)
    np.testing.assert_allclose(balance, _Quadratic.q - 2 * 0.4 * _Quadratic.r, atol=1e-10)


def test_periodic_loss_matches_value_and_first_derivative_by_default(x64):
    # u = x^3 across a period 1: jumps 3x^2 + 3x + 1 (value), 6x + 3 (u_x), 6 (u_xx)
    x = jnp.linspace(0.0, 1.0, 7)
    points = x[:, None]

    def u(p):
        return p[0] ** 3

    value, slope, curvature = 3 * x**2 + 3 * x + 1, 6 * x + 3, 6.0
    assert float(periodic_loss(u, points, 0, 1.0)) == pytest.approx(
        float(jnp.mean(value**2 + slope**2)), rel=1e-12
    )
    assert float(periodic_loss(u, points, 0, 1.0, derivatives=2)) == pytest.approx(
        float(jnp.mean(value**2 + slope**2 + curvature**2)), rel=1e-12
    )
    assert float(periodic_loss(u, points, 0, 1.0, derivatives=0)) == pytest.approx(
        float(jnp.mean(value**2)), rel=1e-12
    )
