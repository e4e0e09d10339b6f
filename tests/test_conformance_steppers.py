"""One battery for every time stepper in `sciml_jax.sim` (issue 15, item 8).

Each entry of `STEPPERS` states a stepper on a small grid, a smooth initial state and,
where one is known, the exact solution of the problem the stepper discretises in time.
Every entry runs the same battery:

- order of accuracy in time: the errors at `num_steps * (1, 2, 4, 8)` steps, against the
  exact solution or (without one) between successive refinements, fit
  $e \\approx C\\, dt^p$ with `p` within 0.3 of the claimed order (the stepper's
  `integrator.order` unless the entry says otherwise); claimed order 0 means exact for
  every `dt`, i.e. errors at round-off;
- `jax.jit` equals eager stepping;
- `jax.vmap` over initial states equals the loop;
- `jax.grad` of a scalar of the final state, with respect to the initial state and to a
  physical parameter, matches a central finite difference (float64);
- float64 states stay float64 (and reach errors below float32 round-off), float32
  states stay float32.

A new stepper joins with one line in `STEPPERS` (in the style of optax's
`contrib/_common_test.py`).
"""

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import tree_allclose

from sciml_jax.analysis import fit_convergence_order
from sciml_jax.ops import make_grid
from sciml_jax.sim import (
    Advection,
    AllenCahnStepper,
    BurgersStepper,
    Diffusion,
    GrayScott,
    HeatCrankNicolson,
    HeatExplicit,
    KortewegDeVries,
    KuramotoSivashinsky,
    NavierStokesVorticity,
    kolmogorov_forcing,
    rollout_final,
)

TWO_PI = 2 * np.pi


@dataclasses.dataclass(frozen=True)
class Case:
    """One registered stepper.

    - `make`: `make(dt=..., **{param_name: value}) -> stepper`, the constructor with its
      grid and PDE arguments bound; it is also called inside `jax.jit` with traced `dt`
      and parameter, so the battery compiles once per stepper.
    - `initial`: `initial() -> u0`, channel first (called under the precision in force).
    - `t_final`, `num_steps`: the convergence study runs `num_steps * 2**i`, `i = 0..3`,
      steps to `t_final`; the other tests step by `t_final / num_steps`.
    - `param`: `(name, value)` of a constructor argument to differentiate by, or `None`.
    - `exact`: `exact(t) -> u(t)` solving the stepper's semi-discrete problem (spatial
      discretisation included), or `None` for self-convergence.
    - `order`: the claimed order in time; `None` reads `stepper.integrator.order`.
    """

    make: Callable
    initial: Callable[[], jax.Array]
    t_final: float
    num_steps: int
    param: tuple[str, float] | None = None
    exact: Callable[[float], jax.Array] | None = None
    order: int | None = None


def _periodic(d, length, n):
    return make_grid(d, length, n)


# Exact solutions --------------------------------------------------------------------------


def _advection_u0(shift=(0.0, 0.0)):
    x, y = _periodic(2, 1.0, 16)
    x, y = x - shift[0], y - shift[1]
    return (jnp.sin(TWO_PI * x) * jnp.cos(2 * TWO_PI * y) + 0.5 * jnp.cos(TWO_PI * y))[None]


def _source_2d():
    x, _ = _periodic(2, TWO_PI, 16)
    return jnp.sin(2 * x)[None]


def _diffusion_source_2d(t, alpha=0.3):
    # u_t = alpha Lap u + sin 2x from cos x sin y: each mode relaxes on its own.
    x, y = _periodic(2, TWO_PI, 16)
    transient = jnp.exp(-2 * alpha * t) * jnp.cos(x) * jnp.sin(y)
    forced = (1 - jnp.exp(-4 * alpha * t)) / (4 * alpha) * jnp.sin(2 * x)
    return (transient + forced)[None]


def _dirichlet_points(n, length=1.0):
    return jnp.arange(1, n + 1) * (length / (n + 1))


def _heat_dirichlet_1d(t, alpha=0.1, n=31):
    # Discrete sine modes are eigenvectors of the FD Laplacian with eigenvalue
    # -4/h^2 sin^2(m pi h / 2): the semi-discrete solution, free of spatial error.
    h = 1.0 / (n + 1)
    x = _dirichlet_points(n)
    u = 0.0
    for m, a in ((1, 1.0), (3, 0.3)):
        rate = 4 / h**2 * jnp.sin(m * jnp.pi * h / 2) ** 2
        u = u + a * jnp.exp(-alpha * rate * t) * jnp.sin(m * jnp.pi * x)
    return u[None]


def _heat_periodic_2d(t, alpha=0.1, n=16):
    h = 1.0 / n
    x, y = _periodic(2, 1.0, n)
    rate = 4 / h**2 * (jnp.sin(jnp.pi / n) ** 2 + jnp.sin(2 * jnp.pi / n) ** 2)
    return (jnp.exp(-alpha * rate * t) * jnp.sin(TWO_PI * x) * jnp.cos(2 * TWO_PI * y))[None]


# Smooth initial states for the nonlinear problems -----------------------------------------


def _burgers_1d():
    (x,) = _periodic(1, TWO_PI, 32)
    return (jnp.sin(x) + 0.3 * jnp.cos(2 * x))[None]


def _allen_cahn_1d():
    (x,) = make_grid(1, 2.0, 32, origin=-1.0)
    return (0.6 * jnp.sin(jnp.pi * x) + 0.2 * jnp.cos(2 * jnp.pi * x))[None]


def _kdv_soliton():
    (x,) = _periodic(1, 40.0, 64)
    return (1.0 / jnp.cosh(jnp.sqrt(2.0) / 2 * (x - 20.0)) ** 2)[None]


def _ks_1d():
    (x,) = _periodic(1, 22.0, 32)
    k = TWO_PI / 22.0
    return (jnp.cos(k * x) * (1 + jnp.sin(k * x)))[None]


def _ks_2d():
    x, y = _periodic(2, 22.0, 16)
    k = TWO_PI / 22.0
    return (jnp.cos(k * x) + 0.5 * jnp.sin(k * (x + y)))[None]


def _gray_scott_2d():
    x, y = _periodic(2, 1.0, 16)
    bump = (1 + jnp.cos(TWO_PI * x)) * (1 + jnp.cos(TWO_PI * y)) / 4
    return jnp.stack([1 - 0.5 * bump, 0.25 * bump])


def _vorticity():
    x, y = _periodic(2, TWO_PI, 16)
    return (jnp.sin(x) * jnp.cos(2 * y) + jnp.cos(y))[None]


def _navier_stokes(**kwargs):
    forcing = kolmogorov_forcing(TWO_PI, 16, wavenumber=2, amplitude=0.1)
    return NavierStokesVorticity(TWO_PI, 16, forcing=forcing, **kwargs)


def _diffusion_with_source(**kwargs):
    return Diffusion(2, TWO_PI, 16, source=_source_2d(), **kwargs)


P = functools.partial
STEPPERS: dict[str, Case] = {
    "advection_2d": Case(
        P(Advection, 2, 1.0, 16),
        _advection_u0,
        0.3,
        4,
        ("velocity", 0.7),
        lambda t: _advection_u0((0.7 * t, 0.7 * t)),
    ),
    # ETDRK1 integrates a steady source exactly: claimed order 0 (exact for every dt).
    "diffusion_source_2d": Case(
        _diffusion_with_source, lambda: _diffusion_source_2d(0.0), 1.0, 4, ("diffusivity", 0.3),
        _diffusion_source_2d, order=0,
    ),
    "burgers_1d": Case(
        P(BurgersStepper, 1, TWO_PI, 32), _burgers_1d, 1.0, 8, ("diffusivity", 0.2)
    ),
    "allen_cahn_1d": Case(
        P(AllenCahnStepper, 1, 2.0, 32, diffusivity=1e-2), _allen_cahn_1d, 0.5, 8,
        ("reaction_coefficient", 2.0),
    ),
    "kdv_1d": Case(
        P(KortewegDeVries, 1, 40.0, 64, dealiasing_fraction=1.0), _kdv_soliton, 0.5, 16,
        ("dispersion_coefficient", 1.0),
    ),
    "ks_1d": Case(P(KuramotoSivashinsky, 1, 22.0, 32), _ks_1d, 1.0, 8),
    "ks_combustion_2d_etdrk1": Case(
        P(KuramotoSivashinsky, 2, 22.0, 16, form="combustion", order=1), _ks_2d, 1.0, 8
    ),
    "gray_scott_2d_etdrk3": Case(
        P(GrayScott, 2, 1.0, 16, diffusivity_u=2e-3, diffusivity_v=1e-3, order=3), _gray_scott_2d,
        4.0, 4, ("feed_rate", 0.04),
    ),
    "navier_stokes_2d": Case(_navier_stokes, _vorticity, 1.0, 8, ("diffusivity", 0.05)),
    "heat_explicit_dirichlet_1d": Case(
        P(HeatExplicit, 1, 1.0, 31, boundary="dirichlet"), lambda: _heat_dirichlet_1d(0.0),
        0.05, 16, ("diffusivity", 0.1), _heat_dirichlet_1d, order=1,
    ),
    "heat_crank_nicolson_2d": Case(
        P(HeatCrankNicolson, 2, 1.0, 16), lambda: _heat_periodic_2d(0.0), 0.1, 4,
        ("diffusivity", 0.1), _heat_periodic_2d, order=2,
    ),
}  # fmt: skip

NAMES = sorted(STEPPERS)


def _build(case: Case, dt, p=None):
    kwargs = {} if case.param is None else {case.param[0]: case.param[1] if p is None else p}
    return case.make(dt=dt, **kwargs)


def _param(case: Case):
    return 0.0 if case.param is None else case.param[1]


def _claimed_order(case: Case) -> int:
    if case.order is not None:
        return case.order
    return _build(case, case.t_final / case.num_steps).integrator.order


@functools.cache
def _solver(name: str):
    """`solve(u0, dt, p, n)`: `n` steps of the stepper built with `dt` and parameter `p`.

    The step count is traced (a `fori_loop`), so one compilation serves every `dt`, `n`
    and parameter value of the battery (per precision)."""
    case = STEPPERS[name]

    @jax.jit
    def solve(u0, dt, p, n):
        stepper = _build(case, dt, p)
        return jax.lax.fori_loop(0, n, lambda _, u: stepper(u), u0)

    return solve


def _rel(a, b) -> float:
    return float(jnp.linalg.norm(a - b) / jnp.linalg.norm(b))


@pytest.mark.parametrize("name", NAMES)
def test_order_of_accuracy_in_time(x64, name):
    case = STEPPERS[name]
    solve, u0, p = _solver(name), case.initial(), _param(case)
    counts = [case.num_steps * 2**i for i in range(4)]
    solutions = [solve(u0, case.t_final / n, p, n) for n in counts]
    assert all(u.dtype == jnp.float64 for u in solutions)
    if case.exact is not None:
        exact = case.exact(case.t_final)
        errors = [_rel(u, exact) for u in solutions]
        step_sizes = [case.t_final / n for n in counts]
    else:
        # Self-convergence: |u_dt - u_{dt/2}| ~ C dt^p as well.
        errors = [_rel(a, b) for a, b in zip(solutions, solutions[1:], strict=False)]
        step_sizes = [case.t_final / n for n in counts[:-1]]
    order = _claimed_order(case)
    if order == 0:
        assert max(errors) <= 1e-12, errors
        return
    # A solution that does not move would fit any order at round-off.
    assert _rel(solutions[-1], u0) > 1e-3
    fitted, _ = fit_convergence_order(step_sizes, errors)
    assert abs(fitted - order) <= 0.3, (order, fitted, errors)


@pytest.mark.parametrize("name", NAMES)
def test_jit_matches_eager(x64, name):
    case = STEPPERS[name]
    dt, p, u0 = case.t_final / case.num_steps, _param(case), case.initial()
    stepper = _build(case, dt)
    eager = u0
    for _ in range(2):
        eager = stepper(eager)
    jitted = _solver(name)(u0, dt, p, 2)
    assert eager.shape == u0.shape == stepper.state_shape
    assert tree_allclose(jitted, eager, rtol=1e-11, atol=1e-13)
    assert _rel(eager, u0) > 1e-6  # the step does something


@pytest.mark.parametrize("name", NAMES)
def test_vmap_over_initial_states_matches_loop(x64, name):
    case = STEPPERS[name]
    dt, p, u0 = case.t_final / case.num_steps, _param(case), case.initial()
    spatial = tuple(range(1, u0.ndim))
    batch = jnp.stack([u0, 0.8 * u0, jnp.roll(u0, 3, axis=spatial)])
    solve = _solver(name)
    vmapped = jax.jit(jax.vmap(solve, in_axes=(0, None, None, None)))(batch, dt, p, 3)
    looped = jnp.stack([solve(u, dt, p, 3) for u in batch])
    assert tree_allclose(vmapped, looped, rtol=1e-11, atol=1e-13)
    assert _rel(vmapped[0], vmapped[1]) > 1e-3  # the samples really differ


@pytest.mark.parametrize("name", NAMES)
def test_grad_matches_finite_difference(x64, name, getkey):
    # One step: the battery checks each stepper's derivative; a scan of several steps
    # compiles about three times slower (test_sim_spectral differentiates long rollouts).
    case = STEPPERS[name]
    dt, n, u0 = case.t_final / case.num_steps, 1, case.initial()
    p = jnp.asarray(_param(case))
    weights = jax.random.normal(getkey(), u0.shape)
    direction = jax.random.normal(getkey(), u0.shape)
    solve = _solver(name)

    def loss(u, p):  # the library's rollout: static step count, reverse-differentiable
        return jnp.sum(weights * rollout_final(_build(case, dt, p), u, n))

    def loss_fd(u, p):  # the stepper's own __call__, already compiled by the battery
        return jnp.sum(weights * solve(u, dt, p, n))

    grad_u, grad_p = jax.jit(jax.grad(loss, argnums=(0, 1)))(u0, p)
    assert bool(jnp.all(jnp.isfinite(grad_u))) and bool(jnp.isfinite(grad_p))
    eps = 1e-6
    along = (loss_fd(u0 + eps * direction, p) - loss_fd(u0 - eps * direction, p)) / (2 * eps)
    np.testing.assert_allclose(jnp.vdot(grad_u, direction), along, rtol=1e-6)
    assert abs(float(along)) > 1e-3
    if case.param is not None:
        h = eps * max(1.0, abs(float(p)))
        finite = (loss_fd(u0, p + h) - loss_fd(u0, p - h)) / (2 * h)
        np.testing.assert_allclose(grad_p, finite, rtol=1e-6, atol=1e-9)
        assert abs(float(finite)) > 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_float32_state_stays_float32(name):
    # Under x64 the other tests assert float64 states and reach errors far below float32
    # round-off; here, without x64, a float32 state must stay float32 (traced only).
    case = STEPPERS[name]
    dt, u0 = case.t_final / case.num_steps, case.initial()
    assert u0.dtype == jnp.float32
    out = jax.eval_shape(lambda u: _build(case, dt)(u), u0)
    assert out.shape == u0.shape and out.dtype == jnp.float32
    final = jax.eval_shape(lambda u: rollout_final(_build(case, dt), u, 2), u0)
    assert final.shape == u0.shape and final.dtype == jnp.float32
