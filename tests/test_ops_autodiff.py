"""Derivative operators against closed-form derivatives of known functions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.ops import (
    coordinate_direction,
    divergence,
    grad,
    hessian,
    laplacian,
    partial_derivative,
    taylor,
)


def u(p):
    # u(x, y, t) = sin(2x) cos(y) exp(-3t) + x^3 y
    x, y, t = p
    return jnp.sin(2 * x) * jnp.cos(y) * jnp.exp(-3 * t) + x**3 * y


def point():
    return jnp.array([0.3, -0.7, 0.2])


def closed_forms(p):
    x, y, t = p
    s, c, e = jnp.sin(2 * x), jnp.cos(y), jnp.exp(-3 * t)
    return {
        "x": 2 * jnp.cos(2 * x) * c * e + 3 * x**2 * y,
        "xx": -4 * s * c * e + 6 * x * y,
        "xxx": -8 * jnp.cos(2 * x) * c * e + 6 * y,
        "y": -s * jnp.sin(y) * e + x**3,
        "t": -3 * s * c * e,
        "xt": -6 * jnp.cos(2 * x) * c * e,
        "xy": -2 * jnp.cos(2 * x) * jnp.sin(y) * e + 3 * x**2,
        "lap_xy": -5 * s * c * e + 6 * x * y,
    }


def test_partial_derivatives_match_closed_forms(x64):
    P = point()
    exact = closed_forms(P)

    @jax.jit
    def derivatives(p):
        return {
            "x": partial_derivative(u, "x")(p),
            "xx": partial_derivative(u, "x", "x")(p),
            "xxx": partial_derivative(u, "x", "x", "x")(p),
            "y": partial_derivative(u, "y")(p),
            # "t" is the last coordinate by convention.
            "t": partial_derivative(u, "t")(p),
            "xt": partial_derivative(u, "x", "t")(p),
            "tx": partial_derivative(u, "t", "x")(p),
            "xy": partial_derivative(u, 0, 1)(p),
        }

    got = derivatives(P)
    for name in ("x", "xx", "xxx", "y", "t", "xt", "xy"):
        assert abs(got[name] - exact[name]) < 1e-12, name
    assert abs(got["tx"] - exact["xt"]) < 1e-12


def test_laplacian_gradient_and_hessian(x64):
    P = point()
    exact = closed_forms(P)
    assert abs(jax.jit(laplacian(u, axes=("x", "y")))(P) - exact["lap_xy"]) < 1e-13
    g = jax.jit(grad(u))(P)
    assert float(jnp.max(jnp.abs(g - jnp.array([exact["x"], exact["y"], exact["t"]])))) < 1e-13
    # The forward-mode Hessian is symmetric and its trace over x, y is the Laplacian.
    h = jax.jit(hessian(u))(P)
    assert float(jnp.max(jnp.abs(h - h.T))) < 1e-13
    assert abs(h[0, 0] + h[1, 1] - exact["lap_xy"]) < 1e-13


def test_taylor_mode_agrees_with_nested_forward_mode(x64):
    P = point()
    direction = jnp.array([0.6, -0.8, 0.0])
    series = jax.jit(lambda p: taylor(u, p, direction, 4))(P)
    nested = [u]
    for _ in range(4):
        nested.append((lambda f: lambda p: jax.jvp(f, (p,), (direction,))[1])(nested[-1]))
    reference = jax.jit(lambda p: [f(p) for f in nested])(P)
    for k in range(5):
        assert abs(series[k] - reference[k]) < 1e-11 * max(1.0, abs(float(reference[k])))


def test_taylor_falls_back_when_jet_lacks_a_rule(x64):
    P = point()

    # jnp.prod has no jet rule; from third order (where jet is used) the nested-jvp
    # fallback must give the exact derivative.
    def f(p):
        return jnp.prod(jnp.sin(p))

    d2 = partial_derivative(f, "x", "x")(P)
    assert abs(d2 + f(P)) < 1e-13
    d3 = partial_derivative(f, "x", "x", "x")(P)
    assert abs(d3 + jnp.cos(P[0]) * jnp.prod(jnp.sin(P[1:]))) < 1e-13


def test_divergence_of_a_vector_field(x64):
    P = point()

    def v(p):
        x, y, _ = p
        return jnp.array([x**2 * y, jnp.sin(x * y)])

    x, y, _ = P
    assert abs(divergence(v)(P) - (2 * x * y + x * jnp.cos(x * y))) < 1e-13


def test_vmapped_operator_over_points(getkey):
    points = jax.random.uniform(getkey(), (64, 3))
    values = jax.vmap(partial_derivative(u, "x", "x"))(points)
    exact = jax.vmap(lambda p: closed_forms(p)["xx"])(points)
    assert float(jnp.max(jnp.abs(values - exact))) < 1e-4


def test_unknown_axis_name_is_refused():
    with pytest.raises(ValueError, match="unknown coordinate name"):
        partial_derivative(u, "w")


def test_first_order_taylor_is_value_and_directional_derivative(x64):
    # order 1 is the smallest allowed: [u, v . grad u] against the closed-form gradient
    P = point()
    exact = closed_forms(P)
    direction = jnp.array([0.6, -0.8, 0.0])
    value, first = taylor(u, P, direction, 1)
    assert abs(value - u(P)) < 1e-15
    assert abs(first - (0.6 * exact["x"] - 0.8 * exact["y"])) < 1e-13
    with pytest.raises(ValueError, match="order >= 1, got 0"):
        taylor(u, P, direction, 0)


def test_derivative_without_coordinates_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"at least one coordinate, e\.g\. partial_derivative"):
        partial_derivative(u)


def test_coordinate_direction_is_the_unit_tangent_and_refuses_a_missing_coordinate():
    np.testing.assert_array_equal(coordinate_direction(jnp.zeros(3), "t"), [0.0, 0.0, 1.0])
    columns = coordinate_direction(jnp.zeros((3, 4)), "y")  # points as columns
    np.testing.assert_array_equal(columns, np.zeros((3, 4)) + np.array([[0.0], [1.0], [0.0]]))
    # "z" on (x, t) points does not exist: refused, not a silent zero tangent
    with pytest.raises(ValueError, match="coordinate 'z' .* out of range .* dimension 2"):
        coordinate_direction(jnp.zeros(2), "z")
