"""Dataset builders: exact antiderivative targets, cache round trip keyed by the recipe,
normalisers, Burgers data independent of the solve resolution, KS on the attractor."""

import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.data import (
    Normalizer,
    antiderivative_dataset,
    burgers_dataset,
    cached_dataset,
    ks_trajectories,
    recipe_hash,
)


def test_antiderivative_targets_are_exact_integrals(tmp_path):
    data = antiderivative_dataset(4, num_sensors=201, num_points=201, cache_dir=tmp_path)
    u, s, y = data["u"], data["s"], data["y"][:, 0]
    assert u.shape == (4, 201) and s.shape == (4, 201)
    # sensors and query points coincide here: cumulative Simpson-free check by the
    # derivative: ds/dy = u (centred differences, O(h^2) = 2.5e-5 relative)
    ds = (s[:, 2:] - s[:, :-2]) / (y[2:] - y[:-2])
    np.testing.assert_allclose(ds, u[:, 1:-1], atol=2e-3 * np.abs(u).max())
    np.testing.assert_allclose(s[:, 0], 0.0, atol=1e-7)


def test_antiderivative_random_queries_match_quadrature(tmp_path):
    from scipy.integrate import cumulative_trapezoid

    from sciml_jax.data import sample_rbf_function

    data = antiderivative_dataset(2, num_points=7, query="random", cache_dir=tmp_path)
    assert data["y"].shape == (2, 7, 1) and data["s"].shape == (2, 7)
    # an independent check of the closed form: trapezoid quadrature on 20001 points
    u, s = sample_rbf_function(jr.key(3))
    x = np.linspace(0.0, 1.0, 20001)
    quadrature = cumulative_trapezoid(np.asarray(u(jnp.asarray(x))), x, initial=0.0)
    np.testing.assert_allclose(np.asarray(s(jnp.asarray(x))), quadrature, atol=5e-6)
    with pytest.raises(ValueError, match="query"):
        antiderivative_dataset(2, query="sobol", use_cache=False)


def test_cache_round_trip_and_recipe_key(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return {"x": np.arange(5.0)}

    first = cached_dataset({"name": "t", "n": 5}, build, cache_dir=tmp_path)
    second = cached_dataset({"n": 5, "name": "t"}, build, cache_dir=tmp_path)  # key order
    third = cached_dataset({"name": "t", "n": 6}, build, cache_dir=tmp_path)
    assert len(calls) == 2
    np.testing.assert_array_equal(first["x"], second["x"])
    assert "x" in third
    assert recipe_hash({"a": 1, "b": 2}) == recipe_hash({"b": 2, "a": 1})
    with pytest.raises(ValueError, match="JSON"):
        recipe_hash({"a": object()})


def test_normalizer_pointwise_and_global_round_trip(getkey):
    import jax.random as jr

    data = 3.0 + 2.0 * jr.normal(getkey(), (500, 1, 16))
    norm = Normalizer.fit(data)
    encoded = norm.encode(data)
    np.testing.assert_allclose(jnp.mean(encoded, axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(jnp.std(encoded, axis=0), 1.0, atol=1e-4)
    np.testing.assert_allclose(norm.decode(encoded), data, rtol=1e-5, atol=1e-5)
    scalar = Normalizer.fit(data, pointwise=False)
    assert scalar.mean.shape == ()
    np.testing.assert_allclose(float(scalar.mean), 3.0, atol=0.05)
    with pytest.raises(ValueError, match="2 samples"):
        Normalizer.fit(data[:1])


def test_burgers_data_independent_of_solve_resolution(tmp_path):
    coarse = burgers_dataset(3, resolution=128, solve_points=256, grf_modes=256, cache_dir=tmp_path)
    fine = burgers_dataset(3, resolution=128, solve_points=1024, grf_modes=256, cache_dir=tmp_path)
    assert coarse["u"].shape == (3, 1, 128)
    scale = np.abs(fine["u"]).max()
    np.testing.assert_allclose(coarse["u"], fine["u"], atol=1e-5 * scale)
    # viscous Burgers conserves the mean and dissipates energy
    np.testing.assert_allclose(fine["u"].mean(-1), fine["a"].mean(-1), atol=1e-5 * scale)
    assert np.all((fine["u"] ** 2).sum(-1) < (fine["a"] ** 2).sum(-1))
    with pytest.raises(ValueError, match="divide"):
        burgers_dataset(2, resolution=100, solve_points=512, use_cache=False)


def _trapezoid_cumulative(values, dt):
    """Cumulative trapezoid integral along axis 1, starting at 0."""
    steps = 0.5 * dt * (values[:, 1:] + values[:, :-1])
    return np.concatenate([np.zeros_like(steps[:, :1]), np.cumsum(steps, axis=1)], axis=1)


def test_ks_trajectories_obey_the_energy_budget_on_the_attractor(tmp_path):
    length, n, dt = 60.0, 128, 0.1
    u = ks_trajectories(
        2,
        40,
        num_points=n,
        domain_extent=length,
        dt=dt,
        substeps=2,
        burn_in_time=50.0,
        cache_dir=tmp_path,
    )
    assert u.shape == (2, 41, 1, n)
    u = np.asarray(u[:, :, 0], dtype=np.float64)
    # the conservative KS equation conserves the spatial mean exactly
    means = u.mean(-1)
    assert np.abs(means - means[:, :1]).max() < 1e-4
    # energy budget: u u_x conserves E = <u^2>/2, so dE/dt = <u_x^2> - <u_xx^2> (spectral
    # derivatives of the saved frames, trapezoid in time). Frozen frames, or frames that
    # are not KS solutions, break it.
    k = 2 * np.pi * np.fft.fftfreq(n, length / n)
    power = np.abs(np.fft.fft(u)) ** 2 / n**2
    production, dissipation = (k**2 * power).sum(-1), (k**4 * power).sum(-1)
    energy = 0.5 * (u**2).mean(-1)
    budget = _trapezoid_cumulative(production - dissipation, dt)
    scale = budget.shape[1] * dt * production.mean()
    assert np.abs(energy - energy[:, :1] - budget).max() < 1e-3 * scale
    # the zero state is linearly unstable (growth rate q^2 - q^4 > 0 for 0 < q < 1): on the
    # attractor the rms amplitude is O(1) (about 1.3 for large L), never zero
    rms = np.sqrt((u**2).mean(axis=(1, 2)))
    assert np.all((rms > 0.8) & (rms < 2.0))
    assert np.isfinite(u).all()


def test_darcy_data_two_phase_coefficient_and_positive_pressure(tmp_path):
    from sciml_jax.data import darcy_dataset

    data = darcy_dataset(3, resolution=22, solve_points=43, cache_dir=tmp_path)
    a, u = data["a"], data["u"]
    assert a.shape == u.shape == (3, 1, 22, 22)
    assert set(np.unique(a)) == {3.0, 12.0}
    assert 0.2 < (a == 12.0).mean() < 0.8  # the GRF's sign splits the square
    np.testing.assert_allclose(u[..., 0, :], 0.0, atol=1e-7)
    np.testing.assert_allclose(u[..., :, -1], 0.0, atol=1e-7)
    # maximum principle for -div(a grad u) = 1 > 0: u > 0 inside
    assert u[..., 1:-1, 1:-1].min() > 0
    # variational principle: int u = -2 min E_a decreases as a grows, so 3 <= a <= 12
    # brackets int u between the Poisson values int u_P / 12 and int u_P / 3, where
    # int u_P = 0.0351442 on the unit square (trapezoid rule, h = 1/21, zero walls)
    integral = u.sum(axis=(1, 2, 3)) / 21**2
    assert np.all(integral > 0.0351442 / 12 * 0.97)
    assert np.all(integral < 0.0351442 / 3 * 1.03)
    with pytest.raises(ValueError, match="multiple"):
        darcy_dataset(2, resolution=85, solve_points=211, use_cache=False)


def test_navier_stokes_data_conserve_mean_and_obey_enstrophy_budget(tmp_path):
    from sciml_jax.data import li_forcing, navier_stokes_dataset

    n, nu, dt = 32, 1e-2, 0.05
    w = navier_stokes_dataset(
        2,
        resolution=n,
        solve_points=n,
        viscosity=nu,
        final_time=1.0,
        save_dt=dt,
        dt=dt,
        cache_dir=tmp_path,
    )
    assert w.shape == (2, 21, 1, n, n)
    assert np.isfinite(w).all()
    w = np.asarray(w[:, :, 0], dtype=np.float64)
    means = w.mean(axis=(2, 3))
    # the forcing has zero mean and advection/diffusion conserve the mean exactly
    assert np.abs(means - means[:, :1]).max() < 1e-5
    # enstrophy budget: advection conserves Z = <w^2>/2, so
    # dZ/dt = -nu <|grad w|^2> + <f w>; frozen frames (dZ = 0) or wrong dynamics break it
    k = 2 * np.pi * np.fft.fftfreq(n, 1.0 / n)
    k2 = k[:, None] ** 2 + k[None, :] ** 2
    gradient = (k2 * np.abs(np.fft.fft2(w)) ** 2).sum(axis=(-2, -1)) / n**4
    forcing = np.asarray(li_forcing(n), dtype=np.float64)[0]
    rate = -nu * gradient + (forcing * w).mean(axis=(-2, -1))
    enstrophy = 0.5 * (w**2).mean(axis=(-2, -1))
    change = enstrophy[:, -1] - enstrophy[:, 0]
    predicted = _trapezoid_cumulative(rate, dt)[:, -1]
    np.testing.assert_allclose(change, predicted, rtol=0.05)
    assert np.all(change < -0.1 * enstrophy[:, 0])  # viscosity visibly decays enstrophy
