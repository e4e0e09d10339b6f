"""Darcy solver: manufactured solution, Poisson eigenmode, implicit gradients vs FD."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.analysis import fit_convergence_order
from sciml_jax.sim import DarcySolver


@jax.jit
def _manufactured(x, y):
    # u = sin(pi x) sin(pi y), a = 1 + x y^2: f = -div(a grad u), by autodiff.
    u = lambda p: jnp.sin(jnp.pi * p[0]) * jnp.sin(jnp.pi * p[1])
    a = lambda p: 1 + p[0] * p[1] ** 2
    flux = lambda p: a(p) * jax.grad(u)(p)
    f = lambda p: -jnp.trace(jax.jacfwd(flux)(p))
    points = jnp.stack([x.ravel(), y.ravel()], axis=-1)
    values = [jax.vmap(g)(points).reshape(x.shape) for g in (u, a, f)]
    return values


@pytest.mark.parametrize("averaging", ["harmonic", "arithmetic"])
def test_darcy_manufactured_solution_second_order(x64, averaging):
    errors, spacings = [], []
    for n in (9, 17, 33):
        solver = DarcySolver(n, averaging=averaging, rtol=1e-12)
        x, y = solver.grid()
        u_exact, a, f = _manufactured(x, y)
        u = jax.jit(solver)(a, f)
        errors.append(float(jnp.max(jnp.abs(u - u_exact))))
        spacings.append(solver.spacing)
    order, _ = fit_convergence_order(spacings, errors)
    assert abs(order - 2) <= 0.2, errors
    assert errors[-1] <= 2e-3


def test_darcy_constant_coefficient_is_discrete_poisson_eigenmode(x64):
    # For a = 1, sin(pi x) sin(2 pi y) is an eigenvector of the 5-point Laplacian.
    solver = DarcySolver(33, rtol=1e-13)
    x, y = solver.grid()
    h = solver.spacing
    mode = jnp.sin(jnp.pi * x) * jnp.sin(2 * jnp.pi * y)
    eigenvalue = 4 / h**2 * (jnp.sin(jnp.pi * h / 2) ** 2 + jnp.sin(jnp.pi * h) ** 2)
    u = solver(jnp.ones_like(x), mode)
    np.testing.assert_allclose(u, mode / eigenvalue, atol=1e-12)
    assert float(jnp.max(jnp.abs(solver.residual(jnp.ones_like(x), u, mode)))) <= 1e-9


def test_darcy_implicit_gradient_matches_finite_differences(x64, getkey):
    solver = DarcySolver(12, rtol=1e-13)
    x, y = solver.grid()
    a = 1.0 + 0.5 * jax.random.uniform(getkey(), x.shape)
    f = 1.0 + x
    weights = jax.random.normal(getkey(), x.shape)
    objective = jax.jit(lambda a, f: jnp.sum(weights * solver(a, f)))
    grad_a, grad_f = jax.jit(jax.grad(objective, argnums=(0, 1)))(a, f)
    for _ in range(2):
        da = jax.random.normal(getkey(), x.shape)
        df = jax.random.normal(getkey(), x.shape)
        eps = 1e-5
        fd_a = (objective(a + eps * da, f) - objective(a - eps * da, f)) / (2 * eps)
        fd_f = (objective(a, f + eps * df) - objective(a, f - eps * df)) / (2 * eps)
        np.testing.assert_allclose(jnp.vdot(grad_a, da), fd_a, rtol=1e-6)
        np.testing.assert_allclose(jnp.vdot(grad_f, df), fd_f, rtol=1e-6)


def test_darcy_rejects_bad_shapes_and_nonpositive_coefficient():
    solver = DarcySolver(8)
    with pytest.raises(ValueError, match="boundary included"):
        solver(jnp.ones((7, 7)), jnp.ones((8, 8)))
    with pytest.raises(Exception, match="positive"):
        jax.jit(solver)(-jnp.ones((8, 8)), jnp.ones((8, 8)))


def test_poisson_preconditioner_iterations_do_not_grow_with_resolution(x64):
    # Faces hold values in [3, 12], so the Poisson-preconditioned operator has condition
    # number <= 4 and CG contracts the error by (sqrt(4) - 1) / (sqrt(4) + 1) = 1/3 per
    # step at worst, whatever the grid; the Jacobi-preconditioned count grows like n.
    counts = {}
    for n in (33, 129):
        x, y = DarcySolver(n).grid()
        smooth = jnp.sin(3 * jnp.pi * x) * jnp.cos(2 * jnp.pi * y) + 0.3 * jnp.cos(5 * x * y)
        a = jnp.where(smooth >= 0, 12.0, 3.0)
        f = jnp.ones_like(a)
        for preconditioner in ("poisson", "jacobi"):
            solver = DarcySolver(n, rtol=1e-10, preconditioner=preconditioner)
            counts[n, preconditioner] = int(solver.iterations(a, f))
            u = jax.jit(solver)(a, f)
            relative_residual = jnp.linalg.norm(solver.residual(a, u, f)) / jnp.linalg.norm(
                f[1:-1, 1:-1]
            )
            assert float(relative_residual) <= 1e-9, (n, preconditioner)
    # 1/3 per step: 10^-10 within log(2e10)/log(3) ~ 22 steps; allow for the residual norm
    assert counts[33, "poisson"] <= 30 and counts[129, "poisson"] <= 30, counts
    assert abs(counts[129, "poisson"] - counts[33, "poisson"]) <= 3, counts
    assert counts[129, "jacobi"] >= 2 * counts[33, "jacobi"], counts
    assert counts[129, "jacobi"] >= 10 * counts[129, "poisson"], counts
