"""Variable projection: coefficients that enter the residual linearly, fitted in closed form."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.losses import profiled_residual_loss, residual_loss
from sciml_jax.nn import MLP
from sciml_jax.pde import Burgers


def _burgers(c, u, p):
    return Burgers(convection=c[0], viscosity=c[1]).residual(u, p)


def _travelling_front(lambda1, lambda2, a=1.0, speed=0.3):
    # w = lambda1 u solves w_t + w w_x = lambda2 w_xx, whose front is
    # w = speed - a tanh(a (x - speed t) / (2 lambda2)).
    def u(p):
        w = speed - a * jnp.tanh(a * (p[0] - speed * p[1]) / (2 * lambda2))
        return w / lambda1

    return u


def test_profiled_coefficients_of_an_exact_burgers_solution(x64, getkey):
    lambda1, lambda2 = 0.7, 0.05
    u = _travelling_front(lambda1, lambda2)
    points = jr.uniform(getkey(), (500, 2), minval=jnp.array([-1.0, 0.0]), maxval=1.0)
    profiled = jax.jit(profiled_residual_loss, static_argnums=(0, 2))
    for start in (jnp.array([1.0, 0.01]), jnp.array([-3.0, 2.0])):
        loss, best = profiled(_burgers, start, u, points)
        np.testing.assert_allclose(best, [lambda1, lambda2], rtol=1e-10)
        assert float(loss) <= 1e-20
    # at the fitted coefficients the profiled loss is the ordinary residual loss
    wrong = lambda p: jnp.sin(jnp.pi * p[0]) * jnp.exp(-p[1]) + 0.3 * p[0] * p[1]
    loss, best = profiled(_burgers, jnp.ones(2), wrong, points)
    plain = residual_loss(lambda v, p: _burgers(best, v, p), wrong, points)
    np.testing.assert_allclose(loss, plain, rtol=1e-12)
    # and no other coefficients do better
    for delta in (jnp.array([1e-3, 0.0]), jnp.array([0.0, -1e-4])):
        shifted = best + delta
        other = residual_loss(lambda v, p, c=shifted: _burgers(c, v, p), wrong, points)
        assert float(other) > float(loss)


def test_profiled_gradient_is_the_derivative_of_the_minimum(x64, getkey):
    # envelope theorem: d/dtheta min_c L(theta, c) = dL/dtheta at c*; check against
    # central differences of the profiled loss along a random parameter direction
    model = MLP(2, "scalar", 8, 2, key=getkey())
    points = jr.uniform(getkey(), (200, 2), minval=jnp.array([-1.0, 0.0]), maxval=1.0)
    params, static = jax.tree.flatten(model)
    loss = jax.jit(
        lambda leaves: profiled_residual_loss(
            _burgers, jnp.ones(2), jax.tree.unflatten(static, leaves), points
        )[0]
    )
    grads = jax.jit(jax.grad(loss))(params)
    direction = [jr.normal(getkey(), jnp.shape(leaf)) for leaf in params]
    eps = 1e-6
    plus = loss([p + eps * d for p, d in zip(params, direction, strict=True)])
    minus = loss([p - eps * d for p, d in zip(params, direction, strict=True)])
    directional = sum(jnp.vdot(g, d) for g, d in zip(grads, direction, strict=True))
    np.testing.assert_allclose(directional, (plus - minus) / (2 * eps), rtol=1e-5)


def test_profiled_chunked_matches_unchunked(x64, getkey):
    model = MLP(2, "scalar", 8, 2, key=getkey())
    points = jr.uniform(getkey(), (64, 2))
    profiled = jax.jit(profiled_residual_loss, static_argnums=(0,), static_argnames="chunk_size")
    whole = profiled(_burgers, jnp.ones(2), model, points)
    chunked = profiled(_burgers, jnp.ones(2), model, points, chunk_size=16)
    np.testing.assert_allclose(whole[0], chunked[0], rtol=1e-12)
    np.testing.assert_allclose(whole[1], chunked[1], rtol=1e-10)
