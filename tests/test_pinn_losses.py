"""PINN loss terms and weightings against values computed by hand."""

import jax
import jax.numpy as jnp
import numpy as np

from sciml_jax.losses import (
    causal_loss,
    causal_weights,
    dirichlet_loss,
    monotonicity_penalty,
    neumann_loss,
    normalisation_penalty,
    periodic_loss,
    pointwise,
    rayleigh_quotient,
    residual_loss,
)
from sciml_jax.pde import Heat, Helmholtz
from sciml_jax.train._pinn_weighting import GradNormWeighting, NTKTraceWeighting


def test_exact_solutions_have_zero_residual(x64, getkey):
    heat = Heat(diffusivity=0.3, modes=((1, 2), (3, 1)), amplitudes=(1.0, -0.4))
    points = jax.random.uniform(getkey(), (64, 3), dtype=jnp.float64)
    assert float(residual_loss(heat.residual, heat.exact, points)) < 1e-24
    helmholtz = Helmholtz(wavenumber=2.0, a1=1, a2=3)
    points = jax.random.uniform(getkey(), (64, 2), dtype=jnp.float64, minval=-1, maxval=1)
    assert float(residual_loss(helmholtz.residual, helmholtz.exact, points)) < 1e-22


def test_residual_of_a_wrong_function_has_the_known_value(x64):
    # u = sin(pi x) (not decaying) in u_t = k u_xx leaves r = k pi^2 sin(pi x);
    # its mean square over a full period grid is (k pi^2)^2 / 2.
    heat = Heat(diffusivity=0.1, modes=((1,),), amplitudes=(1.0,))
    x = (jnp.arange(400) + 0.5) / 200.0
    points = jnp.stack([x, jnp.zeros_like(x)], axis=1)
    loss = residual_loss(heat.residual, lambda p: jnp.sin(jnp.pi * p[0]), points)
    assert abs(float(loss) - (0.1 * np.pi**2) ** 2 / 2) < 1e-12


def test_chunked_pointwise_matches_vmap(getkey):
    points = jax.random.uniform(getkey(), (96, 2))
    f = lambda p: jnp.sin(p[0]) * p[1]  # noqa: E731
    assert float(jnp.max(jnp.abs(pointwise(f, points, chunk_size=32) - jax.vmap(f)(points)))) == 0.0
    grad_chunked = jax.grad(lambda s: jnp.sum(pointwise(lambda p: s * f(p), points, 32)))(2.0)
    grad_plain = jax.grad(lambda s: jnp.sum(jax.vmap(lambda p: s * f(p))(points)))(2.0)
    assert abs(float(grad_chunked - grad_plain)) < 1e-5


def test_boundary_terms(x64):
    u = lambda p: p[0] ** 2 + p[1]  # noqa: E731
    points = jnp.array([[1.0, 0.0], [1.0, 0.5]])
    # Dirichlet against 0: mean of (1 + y)^2 = (1 + 2.25) / 2.
    assert abs(float(dirichlet_loss(u, points, lambda p: 0.0 * p[0])) - 1.625) < 1e-14
    # Normal derivative at x = 1 with n = e_x is 2; against flux 0.5: (1.5)^2.
    normal = lambda p: jnp.array([1.0, 0.0])  # noqa: E731
    assert abs(float(neumann_loss(u, points, normal, lambda p: 0.5)) - 2.25) < 1e-14
    # Periodic in x with period 2: cos(pi x) is, x^2 is not (jump 4x + 4 at x).
    line = jnp.array([[-1.0, 0.3], [-0.5, 0.1]])
    assert float(periodic_loss(lambda p: jnp.cos(jnp.pi * p[0]), line, 0, 2.0)) < 1e-28
    jumps = periodic_loss(lambda p: p[0] ** 2, line, 0, 2.0, derivatives=0)
    assert abs(float(jumps) - (0.0**2 + 2.0**2) / 2) < 1e-14


def test_constraint_penalties(x64):
    x = jnp.linspace(0.0, 1.0, 2001)[:, None]
    assert float(monotonicity_penalty(lambda p: p[0] ** 3, x)) == 0.0
    # u = -2x has slope -2 everywhere: ReLU(2)^2 = 4.
    assert abs(float(monotonicity_penalty(lambda p: -2 * p[0], x)) - 4.0) < 1e-14
    # Rayleigh quotient of sin(k pi x) on [0, 1] is (k pi)^2 (trapezoid-free midpoint rule).
    mid = ((jnp.arange(4000) + 0.5) / 4000)[:, None]
    for k in (1, 2, 3):
        rq = rayleigh_quotient(lambda p, k=k: jnp.sin(k * jnp.pi * p[0]), mid)
        assert abs(float(rq) / (k * np.pi) ** 2 - 1) < 1e-6
    # int_0^1 (sqrt(2) sin(pi x))^2 = 1: normalised.
    norm = normalisation_penalty(lambda p: jnp.sqrt(2.0) * jnp.sin(jnp.pi * p[0]), mid, 1.0)
    assert float(norm) < 1e-12


def test_grad_norm_weighting_equalises_terms(x64):
    params = {"w": jnp.array([1.0, 2.0])}

    def terms(p):
        base = jnp.sum(p["w"] ** 2)
        return {"a": 4.0 * base, "b": base}

    weighting = GradNormWeighting(every=1, momentum=0.0)
    weights = weighting.update(weighting.init(("a", "b")), terms, params, jax.random.key(0))
    # |grad a| = 4 g, |grad b| = g: lambda_a = 5g / 4g, lambda_b = 5g / g.
    assert abs(float(weights["a"]) - 1.25) < 1e-12
    assert abs(float(weights["b"]) - 5.0) < 1e-12


def test_causal_weights(x64):
    losses = jnp.array([0.5, 1.0, 2.0])
    weights = causal_weights(losses, epsilon=2.0)
    expected = jnp.exp(-2.0 * jnp.array([0.0, 0.5, 1.5]))
    assert float(jnp.max(jnp.abs(weights - expected))) < 1e-15
    residuals = jnp.sqrt(losses)[:, None] * jnp.ones((3, 4))
    loss, _ = causal_loss(residuals, 2.0)
    assert abs(float(loss) - float(jnp.mean(expected * losses))) < 1e-14


def test_ntk_trace_weighting_matches_hand_computed_traces(x64):
    params = {"w": jnp.array([0.5, -1.0])}
    x = jnp.array([1.0, 2.0])

    def pointwise(p, key):
        return {"a": 3.0 * p["w"][0] * x, "b": p["w"][1] * jnp.ones(3)}

    weighting = NTKTraceWeighting(pointwise, every=1, momentum=0.0)
    weights = weighting.update(weighting.init(("a", "b")), None, params, jax.random.key(0))
    # tr K_a = mean_i (3 x_i)^2 = 22.5, tr K_b = 1: lambda = 23.5 / tr K.
    assert abs(float(weights["a"]) - 23.5 / 22.5) < 1e-12
    assert abs(float(weights["b"]) - 23.5) < 1e-12
