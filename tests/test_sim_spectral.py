"""Spectral ETDRK steppers against exact solutions, conservation laws and fitted orders."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.ops import dealiasing_mask, make_grid
from sciml_jax.sim import (
    ETDRK,
    Advection,
    AllenCahnStepper,
    BurgersStepper,
    Diffusion,
    GrayScott,
    KortewegDeVries,
    KuramotoSivashinsky,
    NavierStokesVorticity,
    kolmogorov_forcing,
    phi_functions,
    rollout,
    rollout_final,
)


def rel_l2(a, b):
    return float(jnp.linalg.norm(a - b) / jnp.linalg.norm(b))


def test_phi_functions_match_direct_formula_and_small_z_limit(x64):
    # Direct formulas are accurate for |z| ~ 1..10; at z -> 0 the limits are 1/k!.
    z = jnp.array([-8.0, -2.5, -1.0, 0.7, 3.0])
    phi0, phi1, phi2, phi3 = phi_functions(z, 3)
    e = jnp.exp(z)
    np.testing.assert_allclose(phi1, (e - 1) / z, rtol=1e-12)
    np.testing.assert_allclose(phi2, (e - 1 - z) / z**2, rtol=1e-12)
    np.testing.assert_allclose(phi3, (e - 1 - z - z**2 / 2) / z**3, rtol=1e-11)
    tiny = phi_functions(jnp.array([0.0, 1e-9, -1e-9]), 3)
    for k in range(4):
        np.testing.assert_allclose(tiny[k], 1 / math.factorial(k), rtol=1e-8)
    # Complex (dispersive) arguments: phi1(i y) = (e^{iy} - 1)/(iy).
    zc = 1j * jnp.array([0.5, 4.0, 50.0])
    np.testing.assert_allclose(phi_functions(zc, 1)[1], (jnp.exp(zc) - 1) / zc, rtol=1e-12)


def test_phi_functions_of_real_arguments_match_contour_and_derivative_identity(x64):
    # Real z takes the series (|z| < 1) / recurrence path; the contour integral on the same
    # points as complex numbers is an independent evaluation. Points straddle |z| = 1.
    z = jnp.array([-1e4, -50.0, -1.0001, -0.9999, -1e-3, 0.0, 1e-3, 0.9999, 1.0001, 5.0])
    real = phi_functions(z, 3)
    contour = phi_functions(z + 0j, 3)
    for k in range(4):
        assert real[k].dtype == jnp.float64
        np.testing.assert_allclose(real[k], contour[k].real, rtol=1e-12)
    # d/dz phi_k = phi_k - k phi_{k+1} (termwise from the series), on both branches and at
    # z = 0: gradients through the branch `where` must be finite and exact.
    for k in (1, 2):
        grad = jax.vmap(jax.grad(lambda s, k=k: phi_functions(s, 3)[k]))(z[1:])
        expected = real[k][1:] - k * real[k + 1][1:]
        np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-14)


def test_burgers_matches_cole_hopf_float64_n1024(x64):
    from sciml_jax.pde import burgers_cole_hopf

    nu = 0.01 / jnp.pi
    x = make_grid(1, 2.0, 1024, origin=-1.0)
    stepper = BurgersStepper(
        1,
        2.0,
        1024,
        1e-3,
        diffusivity=nu,
        order=4,
        convection_form="advective",
        dealiasing_fraction=1.0,
    )
    trajectory = jax.jit(lambda u: rollout(stepper, u, 990, save_every=90))(-jnp.sin(jnp.pi * x))
    times = jnp.arange(trajectory.shape[0]) * 0.09
    reference = jax.vmap(lambda t: burgers_cole_hopf(x[0], t, nu))(times)
    error = rel_l2(trajectory[:, 0], reference)
    assert error <= 1e-8, error


def test_heat_modes_decay_exactly_2d(x64):
    alpha, t_final = 0.3, 0.8
    x, y = make_grid(2, 2 * jnp.pi, 32)
    u0 = (jnp.sin(x) * jnp.cos(2 * y) + 0.5 * jnp.cos(3 * x))[None]
    stepper = Diffusion(2, 2 * jnp.pi, 32, 0.1, diffusivity=alpha)
    u = rollout_final(stepper, u0, 8)
    exact = (
        jnp.exp(-alpha * 5 * t_final) * jnp.sin(x) * jnp.cos(2 * y)
        + 0.5 * jnp.exp(-alpha * 9 * t_final) * jnp.cos(3 * x)
    )[None]
    assert rel_l2(u, exact) <= 1e-13


def test_advection_translates_exactly_one_period(x64):
    x = make_grid(1, 1.0, 64)
    u0 = jnp.exp(jnp.sin(2 * jnp.pi * x))
    stepper = Advection(1, 1.0, 64, 0.01, velocity=1.5)
    u = rollout_final(stepper, u0, 20)
    exact = jnp.exp(jnp.sin(2 * jnp.pi * (x - 0.3)))
    assert rel_l2(u, exact) <= 1e-13


def test_kdv_soliton_travels_at_its_speed(x64):
    # Centred so that the soliton stays >= 18 from its periodic images: their overlap,
    # ~4 exp(-sqrt(c) 18), is below 1e-10.
    speed, length, x0, t_final = 2.0, 40.0, 18.0, 2.0

    def soliton(x, t):
        return speed / 2 / jnp.cosh(jnp.sqrt(speed) / 2 * (x - speed * t - x0)) ** 2

    x = make_grid(1, length, 256)
    stepper = KortewegDeVries(1, length, 256, 2e-3, order=4, dealiasing_fraction=1.0)
    u = rollout_final(stepper, soliton(x, 0.0), 1000)
    assert rel_l2(u, soliton(x, t_final)) <= 1e-8


def test_taylor_green_vortex_decay_float64(x64):
    nu, k, t_final = 0.05, 2.0, 1.0
    x, y = make_grid(2, 2 * jnp.pi, 32)
    omega0 = (2 * k * jnp.sin(k * x) * jnp.sin(k * y))[None]
    stepper = NavierStokesVorticity(2 * jnp.pi, 32, 0.05, diffusivity=nu, order=4)
    omega = rollout_final(stepper, omega0, 20)
    exact = omega0 * jnp.exp(-2 * nu * k**2 * t_final)
    assert rel_l2(omega, exact) <= 1e-8


def test_navier_stokes_velocity_is_divergence_free_and_recovers_vorticity(x64, getkey):
    n = 32
    stepper = NavierStokesVorticity(1.0, n, 1e-3, dealiasing_fraction=1.0)
    dx, dy = stepper.derivative
    # A random zero-mean field without Nyquist modes (their odd derivatives are zeroed).
    omega_hat = stepper.to_fourier(jax.random.normal(getkey(), (1, n, n)))
    omega_hat = jnp.where(jnp.abs(dx * dy) + jnp.abs(dx) + jnp.abs(dy) > 0, omega_hat, 0.0)
    k = stepper.wavenumbers()
    nyquist = jnp.any(jnp.abs(k) * (1.0 / (2 * jnp.pi)) >= n / 2, axis=0)
    omega_hat = jnp.where(nyquist, 0.0, omega_hat)
    omega = stepper.to_physical(omega_hat)
    u_hat = stepper.to_fourier(stepper.velocity(omega_hat))
    divergence = stepper.to_physical((dx * u_hat[0] + dy * u_hat[1])[None])
    curl = stepper.to_physical((dx * u_hat[1] - dy * u_hat[0])[None])
    assert float(jnp.max(jnp.abs(divergence))) <= 1e-12
    assert rel_l2(curl, omega) <= 1e-12


def test_navier_stokes_advection_matches_closed_form_jacobian(x64):
    # Taylor-Green's advection vanishes; this field's does not. With
    # omega = sin(2 pi x) cos(4 pi y) + cos(2 pi y), psi = sin(2 pi x) cos(4 pi y) / (20 pi^2)
    # + cos(2 pi y) / (4 pi^2); the products reach wavenumber (2, 4), inside the 2/3 cut at
    # N = 32, so the spectral term equals u . grad(omega) taken by autodiff of the formulas.
    two_pi = 2 * jnp.pi

    def omega(x, y):
        return jnp.sin(two_pi * x) * jnp.cos(2 * two_pi * y) + jnp.cos(two_pi * y)

    def psi(x, y):
        first = jnp.sin(two_pi * x) * jnp.cos(2 * two_pi * y) / (5 * two_pi**2)
        return first + jnp.cos(two_pi * y) / two_pi**2

    def advection(x, y):
        u, v = jax.grad(psi, 1)(x, y), -jax.grad(psi, 0)(x, y)
        return u * jax.grad(omega, 0)(x, y) + v * jax.grad(omega, 1)(x, y)

    stepper = NavierStokesVorticity(1.0, 32, 1e-3)
    x, y = make_grid(2, 1.0, 32)
    pointwise = jax.vmap(jax.vmap(advection))
    expected = -pointwise(x, y)[None]
    computed = stepper.to_physical(stepper.nonlinear(stepper.to_fourier(omega(x, y)[None])))
    assert float(jnp.max(jnp.abs(expected))) > 0.1  # a real nonlinear term
    assert rel_l2(computed, expected) <= 1e-12


@pytest.mark.parametrize(
    ("num_points", "fraction", "power"),
    [(32, 2 / 3, 2), (48, 2 / 3, 2), (96, 2 / 3, 2), (64, 1 / 2, 3), (48, 1 / 2, 3)],
)
def test_dealiasing_mask_makes_products_alias_free(x64, getkey, num_points, fraction, power):
    # Truth: the product of masked fields computed on a grid four times finer (no
    # aliasing there), restricted to the kept modes. N = 48 and 96 put a mode exactly at
    # fraction * N / 2, where a non-strict cutoff aliases.
    mask = dealiasing_mask(1, num_points, fraction)[0]
    u_hat = mask * jnp.fft.rfft(jax.random.normal(getkey(), (num_points,)))
    coarse = jnp.fft.rfft(jnp.fft.irfft(u_hat, num_points) ** power)
    fine_points = 4 * num_points
    fine_hat = jnp.zeros(fine_points // 2 + 1, complex).at[: u_hat.size].set(u_hat)
    fine = jnp.fft.irfft(fine_hat * (fine_points / num_points), fine_points) ** power
    exact = jnp.fft.rfft(fine)[: u_hat.size] * (num_points / fine_points)
    assert float(jnp.max(jnp.abs(mask * exact))) > 1.0
    np.testing.assert_allclose(mask * coarse, mask * exact, atol=1e-10)


def test_navier_stokes_advection_conserves_energy_and_enstrophy(x64, getkey):
    # For a 2/3-truncated field the dealiased advection is the Galerkin projection of
    # u . grad(omega), orthogonal to omega (enstrophy) and to psi (energy).
    stepper = NavierStokesVorticity(1.0, 48, 1e-3)
    omega_hat = stepper.dealias * stepper.to_fourier(jax.random.normal(getkey(), (1, 48, 48)))
    omega = stepper.to_physical(omega_hat)
    psi = stepper.to_physical(stepper.inverse_laplacian * omega_hat)
    tendency = stepper.to_physical(stepper.nonlinear(omega_hat))
    scale = float(jnp.linalg.norm(tendency))
    assert scale > 1.0
    assert abs(float(jnp.sum(omega * tendency))) <= 1e-12 * scale * jnp.linalg.norm(omega)
    assert abs(float(jnp.sum(psi * tendency))) <= 1e-12 * scale * jnp.linalg.norm(psi)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_etdrk_temporal_convergence_order(x64, order):
    # Smooth Burgers solution; reference by ETDRK4 at a much smaller step.
    length, n, t_final = 2 * jnp.pi, 32, 1.0
    x = make_grid(1, length, n)
    u0 = jnp.sin(x) + 0.3 * jnp.cos(2 * x)

    def solve(num_steps, scheme_order):
        stepper = BurgersStepper(
            1, length, n, t_final / num_steps, diffusivity=0.2, order=scheme_order
        )
        return rollout_final(stepper, u0, num_steps)

    reference = solve(512, 4)
    steps = [8, 16, 32]
    errors = [float(jnp.linalg.norm(solve(m, order) - reference)) for m in steps]
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) <= 0.3, (errors, slope)


def test_ks_mean_is_conserved_and_chaotic_amplitude_bounded(x64):
    length, n = 32 * jnp.pi, 128
    x = make_grid(1, length, n)
    u0 = jnp.cos(x / 16) * (1 + jnp.sin(x / 16))
    stepper = KuramotoSivashinsky(1, length, n, 0.25, order=4)
    trajectory = rollout(stepper, u0, 800, save_every=100)
    # Conservative form: d/dt of the mean is the k = 0 mode of derivatives, exactly zero.
    means = trajectory.mean(axis=(1, 2))
    assert float(jnp.max(jnp.abs(means - means[0]))) <= 1e-12
    # The KS attractor of this setup has |u| < 4 (Kassam & Trefethen 2005, fig. 3).
    assert 1.5 <= float(jnp.max(jnp.abs(trajectory[-1]))) <= 4.0


def test_allen_cahn_energy_decreases_and_stays_in_unit_band(x64):
    eps, c = 1e-3, 5.0
    x = make_grid(1, 2.0, 256, origin=-1.0)
    u0 = x**2 * jnp.cos(jnp.pi * x)
    stepper = AllenCahnStepper(1, 2.0, 256, 1e-3, diffusivity=eps, reaction_coefficient=c)
    trajectory = rollout(stepper, u0, 500, save_every=50)

    def energy(u):
        # Allen-Cahn is the L2 gradient flow of E = int eps/2 u_x^2 + c/4 (u^2 - 1)^2.
        u_hat = jnp.fft.rfft(u[0])
        k = jnp.fft.rfftfreq(256, 2.0 / 256) * 2 * jnp.pi
        ux = jnp.fft.irfft(1j * k * u_hat, 256)
        return jnp.mean(eps / 2 * ux**2 + c / 4 * (u[0] ** 2 - 1) ** 2) * 2.0

    energies = jnp.array([energy(u) for u in trajectory])
    assert bool(jnp.all(jnp.diff(energies) < 0))
    assert float(jnp.max(jnp.abs(trajectory))) <= 1.0 + 1e-3


def test_gray_scott_homogeneous_steady_state_and_reaction_ode(x64):
    stepper = GrayScott(1, 1.0, 16, 0.5, feed_rate=0.03, kill_rate=0.06, order=4)
    steady = jnp.stack([jnp.ones(16), jnp.zeros(16)])
    assert float(jnp.max(jnp.abs(stepper(steady) - steady))) <= 1e-14
    # A spatially uniform state follows the reaction ODE; compare with a fine RK4 solve.
    uniform = jnp.stack([jnp.full(16, 0.5), jnp.full(16, 0.25)])
    final = jax.jit(lambda u: rollout_final(stepper, u, 20))(uniform)

    def rhs(y):
        u, v = y
        return jnp.array([-u * v**2 + 0.03 * (1 - u), u * v**2 - 0.09 * v])

    def rk4(_, y, h=0.01):
        k1 = rhs(y)
        k2 = rhs(y + h / 2 * k1)
        k3 = rhs(y + h / 2 * k2)
        k4 = rhs(y + h * k3)
        return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)

    y = jax.jit(lambda y: jax.lax.fori_loop(0, 1000, rk4, y))(jnp.array([0.5, 0.25]))
    np.testing.assert_allclose(final[:, 0], y, rtol=1e-6)


def test_vmapped_viscosity_sweep_equals_loop(getkey):
    x = make_grid(1, 2 * jnp.pi, 64)
    u0 = jnp.sin(x)
    viscosities = jnp.array([0.05, 0.1, 0.2])

    def final(nu):
        return rollout_final(BurgersStepper(1, 2 * jnp.pi, 64, 0.01, diffusivity=nu), u0, 50)

    swept = jax.jit(jax.vmap(final))(viscosities)
    jitted = jax.jit(final)
    looped = jnp.stack([jitted(nu) for nu in viscosities])
    np.testing.assert_allclose(swept, looped, rtol=1e-5, atol=1e-6)
    # More viscosity, more dissipated energy: a physical ordering check.
    energies = jnp.sum(swept**2, axis=(1, 2))
    assert bool(jnp.all(jnp.diff(energies) < 0))


def test_rollout_saves_initial_state_and_every_kth_step():
    stepper = Diffusion(1, 2 * jnp.pi, 16, 0.1, diffusivity=1.0)
    u0 = jnp.sin(make_grid(1, 2 * jnp.pi, 16))
    trajectory = rollout(stepper, u0, 12, save_every=4)
    assert trajectory.shape == (4, 1, 16)
    amplitudes = jnp.max(jnp.abs(trajectory), axis=(1, 2))
    np.testing.assert_allclose(amplitudes, jnp.exp(-0.4 * jnp.arange(4)), rtol=1e-5)
    checkpointed = rollout(stepper, u0, 12, save_every=4, checkpoint=True)
    np.testing.assert_allclose(checkpointed, trajectory, rtol=1e-6, atol=1e-7)


def test_gradient_through_rollout_matches_finite_difference(x64):
    x = make_grid(1, 2 * jnp.pi, 32)
    u0 = jnp.sin(x) + 0.5

    @jax.jit
    def loss(nu):
        stepper = BurgersStepper(1, 2 * jnp.pi, 32, 0.05, diffusivity=nu, order=4)
        return jnp.sum(rollout(stepper, u0, 20, save_every=5, checkpoint=True) ** 2)

    grad = jax.jit(jax.grad(loss))(0.1)
    eps = 1e-6
    finite = (loss(0.1 + eps) - loss(0.1 - eps)) / (2 * eps)
    np.testing.assert_allclose(grad, finite, rtol=1e-6)


def test_bad_inputs_raise_value_errors():
    stepper = BurgersStepper(1, 2.0, 32, 0.01)
    with pytest.raises(ValueError, match="channels first"):
        stepper(jnp.zeros(32))
    with pytest.raises(ValueError, match="multiple of save_every"):
        rollout(stepper, jnp.zeros((1, 32)), 10, save_every=3)
    with pytest.raises(ValueError, match="order"):
        ETDRK(jnp.zeros(3), 0.1, order=5)
    with pytest.raises(ValueError, match="num_points"):
        BurgersStepper(1, 2.0, 1, 0.01)
    with pytest.raises(ValueError, match="forcing"):
        NavierStokesVorticity(1.0, 16, 0.01, forcing=jnp.zeros((16, 16)))


def test_diffusion_with_steady_source_is_exact(x64):
    # u_t = alpha u_xx + s with s = sin(2x), u0 = 0: u = (1 - exp(-4 alpha t)) / (4 alpha) sin(2x).
    alpha, t_final = 0.3, 1.0
    x = make_grid(1, 2 * jnp.pi, 16)
    stepper = Diffusion(1, 2 * jnp.pi, 16, 0.25, diffusivity=alpha, source=jnp.sin(2 * x))
    u = rollout_final(stepper, jnp.zeros_like(x), 4)
    exact = (1 - jnp.exp(-4 * alpha * t_final)) / (4 * alpha) * jnp.sin(2 * x)
    assert rel_l2(u, exact) <= 1e-13


# Every spectral stepper runs the same battery: shape/dtype preserved, finite, and
# equivariant under periodic shifts (the PDEs are translation invariant, so shifting the
# input by one cell must shift the output by one cell, up to round-off).
STEPPERS = {
    "diffusion_3d": lambda: Diffusion(3, 1.0, 8, 0.01, diffusivity=0.1),
    "advection_2d": lambda: Advection(2, 1.0, 16, 0.01, velocity=(1.0, -0.5)),
    "burgers_1d": lambda: BurgersStepper(1, 2 * jnp.pi, 32, 0.01, diffusivity=0.1),
    "burgers_2d": lambda: BurgersStepper(2, 2 * jnp.pi, 16, 0.01, diffusivity=0.1, order=3),
    "kdv": lambda: KortewegDeVries(1, 20.0, 32, 1e-3),
    "ks_conservative": lambda: KuramotoSivashinsky(1, 22.0, 32, 0.05, order=4),
    "ks_combustion_2d": lambda: KuramotoSivashinsky(2, 22.0, 16, 0.05, form="combustion"),
    "allen_cahn": lambda: AllenCahnStepper(1, 2.0, 32, 1e-3, diffusivity=1e-2),
    "gray_scott_2d": lambda: GrayScott(2, 1.0, 16, 1.0),
    "navier_stokes": lambda: NavierStokesVorticity(1.0, 16, 1e-3, order=4),
}


@pytest.mark.parametrize("name", sorted(STEPPERS))
def test_stepper_conformance_shift_equivariance(name, getkey):
    stepper = STEPPERS[name]()
    u = 0.5 * jax.random.uniform(getkey(), stepper.state_shape)
    step = jax.jit(lambda u: stepper(u))  # one compile for both calls
    out = step(u)
    assert out.shape == u.shape and out.dtype == u.dtype
    assert bool(jnp.all(jnp.isfinite(out)))
    axes = tuple(range(1, u.ndim))
    shifted = step(jnp.roll(u, 1, axis=axes))
    np.testing.assert_allclose(shifted, jnp.roll(out, 1, axis=axes), atol=1e-5)
    assert float(jnp.max(jnp.abs(out - u))) > 0  # the step does something


def test_rollout_on_fourier_coefficients_equals_stepping_physical_states(x64):
    # `rollout` advances spectral steppers on their Fourier coefficients; that must agree
    # with calling the stepper on physical states (transform round trip every step) to
    # round-off for every registered stepper, saved states and final state alike.
    key = jax.random.key(0)
    for name in sorted(STEPPERS):
        stepper = STEPPERS[name]()
        u0 = 0.5 * jax.random.uniform(key, stepper.state_shape, dtype=jnp.float64)

        @jax.jit  # one compile per stepper for all three paths
        def paths(u0):
            physical = rollout(lambda u: stepper(u), u0, 4, save_every=2)  # noqa: B023
            fourier = rollout(stepper, u0, 4, save_every=2)  # noqa: B023
            return physical, fourier, rollout_final(stepper, u0, 4)  # noqa: B023

        physical, fourier, final = paths(u0)
        np.testing.assert_allclose(fourier, physical, rtol=0, atol=1e-12)
        np.testing.assert_allclose(final, physical[-1], atol=1e-12)
    # A float32 state with float64 enabled stays float32 (the coefficients are float64).
    burgers = STEPPERS["burgers_1d"]()
    u32 = jnp.sin(make_grid(1, 2 * jnp.pi, 32)).astype(jnp.float32)
    assert rollout_final(burgers, u32, 3).dtype == jnp.float32
    assert rollout_final(burgers, u32, 0) is u32


def test_kolmogorov_laminar_state_is_steady(x64):
    # Forcing -A k cos(k y) balances viscosity for omega = -A cos(k y) / (nu k); the shear
    # flow has no advection (u . grad omega = 0), so the laminar state must not move.
    nu, amplitude, n, length = 0.05, 1.0, 32, 2 * jnp.pi
    forcing = kolmogorov_forcing(length, n, wavenumber=4, amplitude=amplitude)
    k = 2 * jnp.pi * 4 / length
    _, y = make_grid(2, length, n)
    laminar = (-amplitude * jnp.cos(k * y) / (nu * k))[None]
    stepper = NavierStokesVorticity(length, n, 0.01, diffusivity=nu, forcing=forcing, order=2)
    assert rel_l2(rollout_final(stepper, laminar, 50), laminar) <= 1e-12
