"""ODE presets through diffrax, symplectic integrators, method of lines, neural ODE."""

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from sciml_jax.analysis import fit_convergence_order
from sciml_jax.ops import make_grid
from sciml_jax.sim import (
    BurgersStepper,
    DampedPendulum,
    Diffusion,
    Kepler,
    Leapfrog,
    Lorenz,
    LotkaVolterra,
    NeuralODE,
    Robertson,
    RungeKutta4,
    SymplecticEuler,
    VelocityVerlet,
    hamiltonian_vector_field,
    rollout,
    rollout_final,
    solve_method_of_lines,
    solve_ode,
    spectral_rhs,
)


def test_lotka_volterra_conserves_its_invariant(x64):
    system = LotkaVolterra()
    ts = jnp.linspace(0.0, 15.0, 50)
    sol = solve_ode(
        system.vector_field, jnp.array([10.0, 5.0]), 0.0, 15.0, saveat=ts, rtol=1e-10, atol=1e-12
    )
    invariant = system.invariant(sol.ys)
    assert float(jnp.max(jnp.abs(invariant - invariant[0]))) <= 1e-7


def test_damped_pendulum_small_angle_matches_damped_oscillator(x64):
    system = DampedPendulum(gravity=4.0, length=1.0, damping=0.3)
    theta0 = 1e-3
    ts = jnp.linspace(0.0, 10.0, 40)
    sol = solve_ode(
        system.vector_field,
        jnp.array([theta0, 0.0]),
        0.0,
        10.0,
        saveat=ts,
        solver="dopri8",
        rtol=1e-12,
        atol=1e-14,
    )
    gamma, omega0 = 0.3, 2.0
    omega_d = jnp.sqrt(omega0**2 - gamma**2 / 4)
    linear = (
        theta0
        * jnp.exp(-gamma * ts / 2)
        * (jnp.cos(omega_d * ts) + gamma / (2 * omega_d) * jnp.sin(omega_d * ts))
    )
    # The sin(theta) nonlinearity perturbs by O(theta0^3).
    assert float(jnp.max(jnp.abs(sol.ys[:, 0] - linear))) <= 1e-8
    energies = system.energy(sol.ys)
    assert bool(jnp.all(jnp.diff(energies) < 0))


def test_robertson_stiff_reference_values_and_mass(x64):
    system = Robertson()
    sol = solve_ode(
        system.vector_field,
        jnp.array([1.0, 0.0, 0.0]),
        0.0,
        40.0,
        solver="kvaerno5",
        rtol=1e-10,
        atol=1e-14,
        dt0=1e-6,
    )
    y = sol.ys[-1]
    # Hairer & Wanner, Solving ODEs II, reference solution at t = 40.
    np.testing.assert_allclose(y, [0.7158270687, 9.185534764e-6, 0.2841637457], rtol=1e-7)
    assert abs(float(jnp.sum(y)) - 1.0) <= 1e-12


def test_lorenz_fixed_points_and_gradient_through_solve(x64):
    system = Lorenz()
    c = jnp.sqrt(system.beta * (system.rho - 1))
    assert float(jnp.max(jnp.abs(system.vector_field(0.0, jnp.array([c, c, 27.0]))))) <= 1e-12

    final_x = jax.jit(
        lambda y0: solve_ode(system.vector_field, y0, 0.0, 0.3, rtol=1e-11, atol=1e-13).ys[-1, 0]
    )
    y0 = jnp.array([1.0, 1.0, 1.0])
    gradient = jax.jit(jax.grad(final_x))(y0)
    eps = 1e-6
    for i in range(3):
        e = jnp.zeros(3).at[i].set(eps)
        np.testing.assert_allclose(
            gradient[i], (final_x(y0 + e) - final_x(y0 - e)) / (2 * eps), rtol=1e-5
        )


def test_kepler_adaptive_orbit_closes_and_conserves(x64):
    kepler = Kepler()
    y0 = kepler.initial_state(0.5)
    period = kepler.period()
    sol = solve_ode(kepler.vector_field, y0, 0.0, period, rtol=1e-11, atol=1e-13, solver="dopri8")
    y1 = sol.ys[-1]
    np.testing.assert_allclose(y1, y0, atol=1e-8)
    assert abs(float(kepler.energy(y1) - kepler.energy(y0))) <= 1e-9
    assert abs(float(kepler.angular_momentum(y1) - kepler.angular_momentum(y0))) <= 1e-9


def test_velocity_verlet_is_second_order_and_leapfrog_too(x64):
    kepler = Kepler()
    y0 = kepler.initial_state(0.3)
    period = float(kepler.period())
    reference = solve_ode(
        kepler.vector_field, y0, 0.0, period / 4, rtol=1e-12, atol=1e-14, solver="dopri8"
    ).ys[-1]
    for stepper_class in (VelocityVerlet, Leapfrog):
        steps = [200, 400, 800]
        errors = []
        for m in steps:
            q, p = rollout_final(
                stepper_class(kepler.acceleration, period / 4 / m), (y0[:2], y0[2:]), m
            )
            errors.append(float(jnp.linalg.norm(jnp.concatenate([q, p]) - reference)))
        order, _ = fit_convergence_order(1 / np.array(steps), errors)
        assert abs(order - 2) <= 0.3, (stepper_class.__name__, errors)


def test_symplectic_energy_bounded_while_rk4_drifts(x64):
    kepler = Kepler()
    y0 = kepler.initial_state(0.5)
    period = float(kepler.period())
    dt, periods, per = period / 400, 40, 400
    e0 = kepler.energy(y0)

    def relative_energy_error(stepper):
        q, p = rollout(stepper, (y0[:2], y0[2:]), periods * per)
        error = jnp.abs(kepler.energy(jnp.concatenate([q, p], axis=-1)) / e0 - 1)
        return error[1:].reshape(periods, per).max(axis=1)  # max per orbit

    verlet = relative_energy_error(VelocityVerlet(kepler.acceleration, dt))
    rk4 = relative_energy_error(RungeKutta4(hamiltonian_vector_field(kepler.acceleration), dt))
    # Verlet: the per-orbit maximum oscillates but does not grow (bounded error).
    assert float(verlet[-5:].max()) <= 1.2 * float(verlet[:5].max())
    # RK4: secular drift, linear in time.
    slope = np.polyfit(np.arange(periods), np.asarray(rk4), 1)[0]
    assert slope > 0 and float(rk4[-1]) >= 10 * float(rk4[0])


def test_symplectic_euler_equals_diffrax_semi_implicit_euler(x64):
    kepler = Kepler()
    y0 = kepler.initial_state(0.2)
    dt, n = 0.01, 100
    q, p = rollout_final(SymplecticEuler(kepler.acceleration, dt), (y0[:2], y0[2:]), n)
    # diffrax updates its first component from the second one first: (p, q) = kick then drift.
    terms = (
        diffrax.ODETerm(lambda t, q, a: kepler.acceleration(q)),
        diffrax.ODETerm(lambda t, p, a: p),
    )
    sol = diffrax.diffeqsolve(terms, diffrax.SemiImplicitEuler(), 0.0, n * dt, dt, (y0[2:], y0[:2]))
    np.testing.assert_allclose(p, sol.ys[0][-1], atol=1e-12)
    np.testing.assert_allclose(q, sol.ys[1][-1], atol=1e-12)


def test_method_of_lines_burgers_matches_etdrk(x64):
    x = make_grid(1, 2 * jnp.pi, 64)
    u0 = jnp.sin(x) + 0.2
    stepper = BurgersStepper(1, 2 * jnp.pi, 64, 0.01, diffusivity=0.1, order=4)
    etdrk = rollout_final(stepper, u0, 100)
    sol = solve_method_of_lines(spectral_rhs(stepper), u0, 0.0, 1.0, rtol=1e-10, atol=1e-12)
    assert float(jnp.max(jnp.abs(sol.ys[-1] - etdrk))) <= 1e-7


def test_method_of_lines_stiff_heat_with_implicit_solver(x64):
    x = make_grid(1, 2 * jnp.pi, 64)
    u0 = jnp.sin(3 * x)
    stepper = Diffusion(1, 2 * jnp.pi, 64, 1.0, diffusivity=1.0)
    sol = solve_method_of_lines(
        spectral_rhs(stepper), u0, 0.0, 0.5, solver="kvaerno5", rtol=1e-9, atol=1e-12, dt0=1e-3
    )
    np.testing.assert_allclose(sol.ys[-1], jnp.exp(-9 * 0.5) * u0, atol=1e-8)


def test_neural_ode_linear_field_matches_matrix_exponential_and_fd_gradient(x64, getkey):
    field = eqx.nn.Linear(3, 3, use_bias=False, key=getkey())
    # (The continuous backsolve adjoint compiles for ~20 s, too slow for a unit test; the
    # `ode_pendulum` config checks it against finite differences.)
    node = NeuralODE(field, rtol=1e-10, atol=1e-12)
    y0 = jnp.array([1.0, -0.5, 0.25])
    ts = jnp.linspace(0.0, 1.0, 3)

    def loss_and_trajectory(weight):
        ys = eqx.tree_at(lambda n: n.vector_field.weight, node, weight)(ts, y0)
        return jnp.sum(ys**2), ys

    # Two compilations in all: one forward (used three times), one gradient.
    forward = jax.jit(loss_and_trajectory)
    grad, _ = jax.jit(jax.grad(loss_and_trajectory, has_aux=True))(field.weight)
    _, ys = forward(field.weight)
    expected = np.stack(
        [scipy.linalg.expm(np.asarray(field.weight) * t) @ np.asarray(y0) for t in np.asarray(ts)]
    )
    np.testing.assert_allclose(ys, expected, atol=1e-8)
    direction = jax.random.normal(getkey(), (3, 3))
    eps = 1e-6
    fd = (
        forward(field.weight + eps * direction)[0] - forward(field.weight - eps * direction)[0]
    ) / (2 * eps)
    np.testing.assert_allclose(jnp.vdot(grad, direction), fd, rtol=1e-5)


def test_solve_ode_rejects_bad_names_and_missing_dt0():
    f = Lorenz().vector_field
    with pytest.raises(ValueError, match="unknown solver"):
        solve_ode(f, jnp.ones(3), 0.0, 1.0, solver="rk45")
    with pytest.raises(ValueError, match="dt0"):
        solve_ode(f, jnp.ones(3), 0.0, 1.0, controller="constant")
    with pytest.raises(ValueError, match="eccentricity"):
        Kepler().initial_state(1.2)
    with pytest.raises(ValueError, match="solver"):
        NeuralODE(lambda y: y, solver="nope")
