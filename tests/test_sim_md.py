"""Integrators against exact statistics and orders; the driver's overflow recovery."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.atoms import (
    FreeSpace,
    NeighborListOverflowError,
    PeriodicSpace,
    lennard_jones,
    neighbor_list,
)
from sciml_jax.sim import fire_descent, maxwell_boltzmann, nve, nvt_langevin, simulate


def harmonic(k):
    return lambda x, neighbors=None: 0.5 * k * jnp.sum(x**2)


def soft_sphere(space, sigma=1.0, epsilon=1.0):
    """Test-local repulsion `eps (1 - r/sigma)^2` for `r < sigma`, over a list."""

    def energy(x, neighbors):
        r2 = jnp.sum(neighbors.pair_vectors(space, x) ** 2, axis=-1)
        on = neighbors.mask & (r2 < sigma**2)
        r = jnp.sqrt(jnp.where(on, r2, sigma**2))
        return jnp.sum(jnp.where(on, epsilon * (1 - r / sigma) ** 2, 0.0))

    return energy


def blocked_mean(series, n_blocks=20):
    """Mean and its standard error from `n_blocks` contiguous block means (blocks much
    longer than the correlation time are independent; the spread of their means is the
    honest error of a correlated series)."""
    series = np.asarray(series)
    blocks = series[: len(series) // n_blocks * n_blocks].reshape(n_blocks, -1).mean(axis=1)
    return blocks.mean(), blocks.std(ddof=1) / np.sqrt(n_blocks)


def scan_observe(apply_fn, state, n, observe):
    def body(s, _):
        s = apply_fn(s)
        return s, observe(s)

    return jax.jit(lambda s: jax.lax.scan(body, s, None, length=n))(state)


def test_velocity_verlet_energy_error_is_second_order(x64):
    space = FreeSpace()
    energy_fn = lennard_jones(space)
    rng = np.random.default_rng(0)
    grid = np.stack(np.meshgrid(*[np.arange(2)] * 3, indexing="ij"), -1).reshape(-1, 3)
    positions = jnp.asarray(1.12 * grid + 0.05 * rng.normal(size=grid.shape))
    momenta = jnp.asarray(0.3 * rng.normal(size=grid.shape))
    errors, steps = [], [0.008, 0.004, 0.002]
    for dt in steps:
        init_fn, apply_fn = nve(energy_fn, space, dt)
        state = init_fn(None, positions, momenta=momenta)
        e0 = state.potential_energy + state.kinetic_energy
        _, energies = scan_observe(
            apply_fn, state, int(round(1.0 / dt)), lambda s: s.potential_energy + s.kinetic_energy
        )
        errors.append(float(jnp.max(jnp.abs(energies - e0))))
    order = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(order - 2.0) < 0.1, (order, errors)


def test_langevin_harmonic_position_variance_is_kT_over_k(getkey):
    k, kT = 2.0, 0.7
    space = FreeSpace()
    init_fn, apply_fn = nvt_langevin(harmonic(k), space, dt=0.1, kT=kT, gamma=1.0)
    state = init_fn(getkey(), jnp.zeros((256, 3)))
    state, _ = scan_observe(apply_fn, state, 200, lambda s: 0.0)  # equilibrate
    _, x2 = scan_observe(apply_fn, state, 4000, lambda s: jnp.mean(s.positions**2))
    mean, se = blocked_mean(x2)
    assert abs(mean - kT / k) < 3 * se, (mean, se, kT / k)
    assert se < 0.01 * kT / k  # the test has power: a 3 % error would fail


def test_langevin_ideal_gas_kinetic_temperature_is_kT(getkey):
    kT = 1.5
    space = PeriodicSpace.orthorhombic(jnp.full(3, 10.0))
    init_fn, apply_fn = nvt_langevin(lambda x, n=None: 0.0 * jnp.sum(x), space, 0.05, kT, 0.5)
    # Start cold: the thermostat has to bring the gas to kT.
    state = init_fn(getkey(), jr.uniform(getkey(), (300, 3)) * 10.0, momenta=jnp.zeros((300, 3)))
    state, _ = scan_observe(apply_fn, state, 400, lambda s: 0.0)
    _, temperature = scan_observe(apply_fn, state, 4000, lambda s: s.temperature)
    mean, se = blocked_mean(temperature)
    assert abs(mean - kT) < 3 * se, (mean, se)
    assert se < 0.01 * kT


def test_fire_finds_the_lennard_jones_dimer_minimum():
    energy_fn = lennard_jones(FreeSpace())
    init_fn, apply_fn = fire_descent(energy_fn, FreeSpace())
    state = init_fn(jnp.array([[0.0, 0.0, 0.0], [1.5, 0.2, -0.1]]))
    state, _ = simulate(apply_fn, state, 400, chunk_size=400)
    r = float(jnp.linalg.norm(state.positions[1] - state.positions[0]))
    assert abs(r - 2 ** (1 / 6)) < 1e-4
    assert float(state.potential_energy) == pytest.approx(-1.0, abs=1e-6)


def test_maxwell_boltzmann_has_zero_net_momentum(getkey):
    masses = jr.uniform(getkey(), (500, 1)) + 0.5
    p = maxwell_boltzmann(getkey(), masses, 2.0, 3)
    assert float(jnp.max(jnp.abs(jnp.sum(p, axis=0)))) < 1e-3
    assert float(jnp.sum(p**2 / masses) / p.size) == pytest.approx(2.0, rel=0.1)


def implosion(n=120, box=14.0, speed=1.5):
    """A dilute gas whose particles all fly towards the centre: the pair count grows
    many times beyond what the list was sized for."""
    rng = np.random.default_rng(0)
    positions = rng.uniform(2.0, box - 2.0, size=(n, 3))
    inward = (box / 2 - positions) / np.linalg.norm(box / 2 - positions, axis=1, keepdims=True)
    return jnp.asarray(positions), jnp.asarray(speed * inward)


def run_implosion(capacity, cell_capacity, n_steps=300, **kwargs):
    space = PeriodicSpace.orthorhombic(jnp.full(3, 14.0))
    positions, momenta = implosion()
    nbrs = neighbor_list(
        space,
        positions,
        1.0,
        skin=0.3,
        method="cell",
        capacity=capacity,
        cell_capacity=cell_capacity,
    )
    init_fn, apply_fn = nve(soft_sphere(space), space, 0.01)
    state = init_fn(None, positions, momenta=momenta, neighbors=nbrs)
    return simulate(apply_fn, state, n_steps, space=space, chunk_size=50, **kwargs)


def test_overflow_is_recovered_with_the_ample_trajectory(x64):
    small, small_rec = run_implosion(capacity=None, cell_capacity=None, capacity_multiplier=2.0)
    ample, ample_rec = run_implosion(capacity=5000, cell_capacity=120)
    assert small_rec["redos"].sum() >= 1 and small_rec["capacity"][-1] > small_rec["capacity"][0]
    assert ample_rec["redos"].sum() == 0
    assert int(small.neighbors.count) > 4 * small_rec["capacity"][0] / 1.25 / 4  # it grew
    np.testing.assert_array_equal(small_rec["step"], ample_rec["step"])
    np.testing.assert_allclose(small.positions, ample.positions, rtol=0, atol=1e-12)
    np.testing.assert_allclose(small.momenta, ample.momenta, rtol=0, atol=1e-12)
    np.testing.assert_allclose(small_rec["total_energy"], ample_rec["total_energy"], rtol=1e-12)
    np.testing.assert_array_equal(small_rec["rebuilds"], ample_rec["rebuilds"])


def test_overflow_beyond_the_maximum_names_the_capacity_needed():
    with pytest.raises(NeighborListOverflowError, match="needs [0-9]+ pairs"):
        run_implosion(capacity=None, cell_capacity=None, max_capacity=60)


def test_bad_input_is_refused(getkey):
    space = FreeSpace()
    init_fn, _ = nve(harmonic(1.0), space, 0.01)
    x = jnp.zeros((4, 3))
    with pytest.raises(ValueError, match="one mass per particle"):
        init_fn(None, x, masses=jnp.ones(3))
    with pytest.raises(ValueError, match="NaN or inf"):
        init_fn(None, x.at[1, 2].set(jnp.inf))
    with pytest.raises(ValueError, match="without a key"):
        init_fn(None, x, kT=1.0)
    with pytest.raises(ValueError, match="momenta have shape"):
        init_fn(None, x, momenta=jnp.zeros((4, 2)))
    nbrs = neighbor_list(PeriodicSpace.orthorhombic(jnp.full(3, 5.0)), jnp.ones((5, 3)), 1.0)
    with pytest.raises(ValueError, match="built for 5 particles"):
        init_fn(None, x, neighbors=nbrs)
