"""The library pieces the PINN and fitting experiments call: the causal loss's switches, the
deflated eigenfunction, the equation-of-state readings and the shared network builder."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.analysis import birch_murnaghan, eos_bulk_modulus, equilibrium_volume
from sciml_jax.losses import causal_residual_loss, residual_loss
from sciml_jax.nn import MLP, Ansatz, Deflated
from sciml_jax.pde import Burgers
from sciml_jax.workflow import NetworkConfig, ReferenceGrid, mlp_from_config


def _burgers_case(getkey):
    model = MLP(2, "scalar", 8, 2, key=getkey())
    points = jr.uniform(getkey(), (64, 2), minval=jnp.array([-1.0, 0.0]), maxval=1.0)
    return Burgers().residual, model, points


def test_causal_loss_with_epsilon_zero_is_the_plain_residual_loss(getkey, x64):
    residual, model, points = _burgers_case(getkey)
    plain = residual_loss(residual, model, points)
    assert causal_residual_loss(residual, model, points, 0.0, 8) == plain


def test_causal_loss_in_one_pass_equals_the_slabwise_loss(getkey, x64):
    residual, model, points = _burgers_case(getkey)
    slabwise = causal_residual_loss(residual, model, points, 5.0, 8)
    one_pass = causal_residual_loss(residual, model, points, 5.0, 8, one_pass=True)
    np.testing.assert_allclose(one_pass, slabwise, rtol=1e-12)
    # later slabs are damped, so the weighted loss is below the plain mean
    assert slabwise < residual_loss(residual, model, points)


def test_deflated_function_is_orthogonal_to_the_previous_ones(getkey, x64):
    gauss_x, gauss_w = np.polynomial.legendre.leggauss(64)
    nodes, weights = jnp.asarray(0.5 * (gauss_x + 1))[:, None], jnp.asarray(0.5 * gauss_w)
    first = lambda p: jnp.sin(jnp.pi * p[0])  # noqa: E731
    trial = Ansatz(MLP(1, "scalar", 8, 2, key=getkey()), lambda p, n: p[0] * (1 - p[0]) * n)
    deflated = Deflated(trial, (first,), jnp.zeros(1)).project(nodes, weights)
    inner = jnp.sum(weights * jax.vmap(deflated)(nodes) * jax.vmap(first)(nodes))
    assert abs(float(inner)) < 1e-14


def test_equilibrium_volume_and_bulk_modulus_of_birch_murnaghan(x64):
    e0, v0, b0, b0_prime = -3.7, 11.8, 0.88, 5.0
    energy = lambda v: birch_murnaghan(v, e0, v0, b0, b0_prime)  # noqa: E731
    volume = equilibrium_volume(energy, jnp.linspace(0.9 * v0, 1.1 * v0, 41))
    np.testing.assert_allclose(volume, v0, rtol=1e-12)
    np.testing.assert_allclose(eos_bulk_modulus(energy, volume), b0, rtol=1e-10)


def test_mlp_from_config_and_reference_grid_of_a_function(getkey):
    config = NetworkConfig(width=16, depth=2, fourier_features=4)
    net = mlp_from_config(config, 2, key=getkey())
    assert net(jnp.zeros(2)).shape == ()
    axes = (np.linspace(0.0, 1.0, 5), np.linspace(0.0, 2.0, 3))
    grid = ReferenceGrid.of(("x", "t"), axes, lambda p: p[0] + 10 * p[1])
    np.testing.assert_allclose(grid.values, axes[0][None, :] + 10 * axes[1][:, None], rtol=1e-6)
