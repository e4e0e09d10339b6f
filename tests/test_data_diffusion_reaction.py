"""Diffusion-reaction solver and dataset (DeepONet benchmark): second-order convergence to a
manufactured nonlinear solution, agreement with the sine eigen-expansion in the linear case,
and the dataset's layout, boundary and initial values and cache."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.data import diffusion_reaction_dataset, sample_rbf_function
from sciml_jax.sim import solve_diffusion_reaction


def test_second_order_convergence_to_manufactured_solution(x64):
    # s = 2 sin(pi x)(1 + x^2)(1 - e^{-t}) solves s_t = D s_xx + k s^2 + f for the f below;
    # D and k larger than the benchmark's so that both terms matter.
    diffusivity, reaction = 0.1, 1.0

    def exact(x, t):
        return 2 * jnp.sin(jnp.pi * x) * (1 + x**2) * (1 - jnp.exp(-t))

    s_t = jax.grad(exact, 1)
    s_xx = jax.grad(jax.grad(exact, 0), 0)

    def forcing(x, t):
        return s_t(x, t) - diffusivity * s_xx(x, t) - reaction * exact(x, t) ** 2

    errors = []
    for intervals in (16, 32, 64):
        x = jnp.arange(1, intervals) / intervals
        s = solve_diffusion_reaction(
            lambda t, x=x: jax.vmap(forcing, (0, None))(x, t),
            num_points=intervals - 1,
            num_steps=intervals,  # dt refined with h
            diffusivity=diffusivity,
            reaction=reaction,
        )
        errors.append(float(jnp.max(jnp.abs(s[-1] - exact(x, 1.0)))))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    np.testing.assert_allclose(orders, 2.0, atol=0.05)
    assert errors[-1] < 3e-4  # measured 2.3e-4 (s is O(2))


def test_linear_case_matches_sine_eigen_expansion(x64):
    # k = 0: s = sum_n b_n (1 - exp(-D (n pi)^2 t)) / (D (n pi)^2) sin(n pi x) with b_n the
    # sine coefficients of the source, here a GRF sample (quadrature on a fine grid).
    diffusivity = 0.01
    u, _ = sample_rbf_function(jr.key(3), 0.2)
    xq = np.linspace(0.0, 1.0, 20001)
    weights = np.full(xq.size, 2 / 3)  # composite Simpson
    weights[1:-1:2], weights[[0, -1]] = 4 / 3, 1 / 3
    weights *= xq[1] - xq[0]
    n = np.arange(1, 2001)
    b = 2 * (np.sin(np.pi * np.outer(n, xq)) * np.asarray(u(jnp.asarray(xq)))) @ weights
    decay = diffusivity * (n * np.pi) ** 2

    def truth(x, t):
        return (b * (1 - np.exp(-decay * t)) / decay) @ np.sin(np.pi * np.outer(n, x))

    errors = []
    for intervals in (100, 200):
        x = np.arange(1, intervals) / intervals
        s = solve_diffusion_reaction(
            u(jnp.asarray(x)),
            num_points=intervals - 1,
            num_steps=intervals,
            save_every=intervals // 10,
            diffusivity=diffusivity,
            reaction=0.0,
        )
        reference = np.stack([truth(x, t) for t in (0.1, 0.5, 1.0)])
        errors.append(np.max(np.abs(np.asarray(s)[[1, 5, 10]] - reference)))
    assert errors[0] < 2e-4  # measured 1.1e-4 on |s| <= 0.7
    assert 3.5 < errors[0] / errors[1] < 4.5  # second order: 4.0 measured


def test_dataset_layout_boundaries_and_cache(tmp_path):
    kwargs = dict(num_sensors=10, num_x=21, num_t=11, refine_x=2, substeps=2, seed=7)
    data = diffusion_reaction_dataset(3, cache_dir=tmp_path, **kwargs)
    assert data["u"].shape == (3, 10) and data["s"].shape == (3, 11, 21)
    np.testing.assert_allclose(data["x"], np.linspace(0, 1, 21))
    np.testing.assert_allclose(data["t"], np.linspace(0, 1, 11))
    assert np.all(data["s"][:, 0] == 0)  # zero initial condition
    assert np.all(data["s"][:, :, [0, -1]] == 0)  # zero boundary values
    assert np.all(np.isfinite(data["s"])) and np.abs(data["s"]).max() > 0.05
    # the branch reads the same source the solver was given
    keys = jr.split(jr.key(7), 3)
    u0, _ = sample_rbf_function(keys[0], 0.2)
    np.testing.assert_allclose(data["u"][0], u0(jnp.linspace(0, 1, 10)), rtol=1e-5, atol=1e-6)
    # the output is the fine solution at the coarse points: it agrees with a solve on the
    # coarse grid itself to O(h^2) (4.3e-3 measured, h = 0.05, |s| <= 1), while a shift by
    # one grid point would be off by 0.37
    coarse = solve_diffusion_reaction(
        u0(jnp.arange(1, 20) / 20), num_points=19, num_steps=20, save_every=2
    )
    np.testing.assert_allclose(data["s"][0, :, 1:-1], coarse, atol=1e-2)
    assert len(list(tmp_path.glob("diffusion_reaction-*.npz"))) == 1
    again = diffusion_reaction_dataset(3, cache_dir=tmp_path, **kwargs)
    np.testing.assert_array_equal(again["s"], data["s"])


def test_rejects_bad_input():
    with pytest.raises(ValueError, match=r"expected \(9,\)"):
        solve_diffusion_reaction(jnp.ones(8), num_points=9, num_steps=10)
    with pytest.raises(ValueError, match="multiple of save_every"):
        solve_diffusion_reaction(jnp.ones(9), num_points=9, num_steps=10, save_every=3)
    with pytest.raises(ValueError, match="num_x"):
        diffusion_reaction_dataset(2, num_x=2, use_cache=False)
