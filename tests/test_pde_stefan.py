"""The Neumann solution of the one-phase Stefan problem against its own conditions."""

import jax
import numpy as np
import pytest
from scipy.special import erf

from sciml_jax.pde import stefan_neumann_lambda, stefan_neumann_solution


def test_lambda_solves_the_transcendental_equation(x64):
    for st in (0.1, 1.0, 4.0):
        lam = float(stefan_neumann_lambda(st))
        assert abs(np.sqrt(np.pi) * lam * np.exp(lam**2) * erf(lam) - st) < 1e-12
    # Small St: lambda ~ sqrt(St / 2) (the quasi-steady limit).
    assert abs(float(stefan_neumann_lambda(1e-4)) / np.sqrt(0.5e-4) - 1) < 1e-4


def test_solution_satisfies_heat_equation_boundary_and_stefan_condition(x64):
    st, alpha = 0.5, 0.7

    def temperature(x, t):
        return stefan_neumann_solution(x, t, st, alpha)[0]

    x, t = 0.1, 0.3
    u_t = jax.grad(temperature, 1)(x, t)
    u_xx = jax.grad(jax.grad(temperature, 0), 0)(x, t)
    assert abs(float(u_t - alpha * u_xx)) < 1e-12
    assert abs(float(temperature(0.0, t)) - 1.0) < 1e-15
    front = lambda t: stefan_neumann_solution(0.0, t, st, alpha)[1]  # noqa: E731
    s = front(t)
    # T -> 0 at the front from the liquid side, and s' = -St alpha T_x(s-).
    assert abs(float(temperature(s - 1e-12, t))) < 1e-10
    slope = jax.grad(temperature, 0)(s - 1e-9, t)
    assert abs(float(jax.grad(front)(t) + st * alpha * slope)) < 1e-7


def test_rejects_nonpositive_stefan_number():
    with pytest.raises(ValueError, match="Stefan number"):
        stefan_neumann_lambda(0.0)
