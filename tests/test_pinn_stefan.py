"""The one-phase Stefan problem by the enthalpy method: the latent heat and the reference.

The PINN's front error is measured by benchmarks/pinn_suite.py (stefan_pinn); it does
not yet reach its target, so no end-to-end bound is asserted here.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.cli._registry import load_experiment
from sciml_jax.config import parse_config
from sciml_jax.pde import StefanEnthalpy, stefan_neumann_solution


def _run_experiment(overrides):
    module = load_experiment("stefan_pinn")
    config = parse_config(module.Config, {"experiment": "stefan_pinn", **overrides}, source="test")
    return module.run(config, None)


def test_smoothed_enthalpy_carries_the_latent_heat(x64):
    st, eps = 0.7, 0.01
    pde = StefanEnthalpy(stefan_number=st, diffusivity=1.0, mushy_width=eps)
    capacity = jax.vmap(jax.grad(pde.enthalpy))
    # Gauss-Legendre on 40 panels over [-0.05, 0.05]: the quintic rises on [0, eps] and
    # the panel edges fall on 0 and eps, so the quadrature is exact up to rounding.
    nodes, weights = np.polynomial.legendre.leggauss(8)
    edges = np.linspace(-0.05, 0.05, 41)
    mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
    points = (mid[:, None] + half[:, None] * nodes).ravel()
    integral = float(jnp.sum(capacity(jnp.asarray(points)) * (half[:, None] * weights).ravel()))
    assert abs(integral - (0.1 + 1 / st)) < 1e-12
    # Solid at and below the melting temperature, liquid from eps on, C^1 at both ends.
    phi = pde.liquid_fraction(jnp.asarray([-0.3, 0.0, eps / 2, eps, 0.5]))
    assert np.allclose(phi, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-15)
    slope = jax.vmap(jax.grad(pde.liquid_fraction))(jnp.asarray([0.0, eps, 1e-9, eps - 1e-9]))
    assert np.all(np.abs(slope) < 1e-12 / eps)
    assert abs(float(jax.grad(pde.liquid_fraction)(eps / 2)) - 1.875 / eps) < 1e-9


def test_neumann_solution_solves_the_enthalpy_equation_away_from_the_front(x64):
    # In the liquid (T > eps) and the solid (T = 0) H' is 1 or the slope of a constant,
    # so the sharp solution satisfies the enthalpy equation there exactly.
    pde = StefanEnthalpy(stefan_number=1.0, diffusivity=0.4, mushy_width=0.01)
    t = jnp.asarray([0.3, 0.6, 0.9])
    s = pde.front(t)
    liquid = jnp.stack([0.5 * s, t])
    solid = jnp.stack([s + 0.1, t])
    assert float(jnp.max(jnp.abs(pde.residual(pde.exact, liquid)))) < 1e-12
    assert float(jnp.max(jnp.abs(pde.residual(pde.exact, solid)))) < 1e-12
    assert np.allclose(pde.exact(jnp.stack([jnp.zeros(3), t])), 1.0)
    expected = stefan_neumann_solution(0.0, t, 1.0, 0.4)[1]
    assert np.allclose(s, expected, rtol=1e-14)


def test_front_outside_the_domain_is_refused():
    with pytest.raises(ValueError, match="problem.length"):
        _run_experiment({"problem": {"length": 0.5}, "train": {"steps": 0}})
