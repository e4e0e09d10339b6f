"""Langevin sampling: posterior samples from SGLD chains, overdamped Langevin dynamics for
a potential, and the exact truths it is checked against (Kramers, first passage times,
partition functions).

The SGLD/pSGLD transformations themselves live in `sciml_jax.train` (`train.sgld`,
`train.psgld`) so that `fit` can build them by name; they are re-exported here.
Underdamped Langevin (BAOAB) for particles is `sciml_jax.sim.md.nvt_langevin`; `uq` sits
beside `sim`, not above it, so this module does not duplicate or import it.
"""

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
from jaxtyping import Array, Float, PyTree

from .._types import Key
from ..train import TrainState, make_step
from ._ensemble import Ensemble


def sample_posterior(
    model: Any,
    loss_fn: Callable[[Any, PyTree, Key], Any],
    optimizer: optax.GradientTransformation,
    *,
    key: Key,
    num_samples: int,
    burn_in: int = 0,
    thin: int = 1,
    data: PyTree = None,
) -> tuple[Ensemble, Float[Array, " steps"]]:
    """Run a Langevin chain (`train.sgld`, `train.psgld`) and keep thinned samples.

    `burn_in` steps are discarded, then every `thin`-th iterate is kept until there are
    `num_samples`: `burn_in + thin * num_samples` steps in all, with the engine's own
    step (`train.make_step`), so each step is the one `fit` would take (step `s` uses
    `fold_in(key, s)`).

    **Arguments:** `model` (the chain's start), `loss_fn(model, batch, key)` (the
    potential `U`, a negative log posterior), `optimizer`, `key`, `num_samples`,
    `burn_in`, `thin`, `data` (the fixed batch).

    **Returns:** `(samples, loss)`: the samples as an `Ensemble` (array leaves stacked on
    a leading sample axis, so `ensemble_predict` gives the posterior predictive) and the
    loss at every step.

    **Example:**

    ```python
    samples, _ = sample_posterior(model, potential, train.sgld(1e-4), key=jr.key(0),
                                  num_samples=1000, burn_in=2000, thin=10, data=batch)
    ```
    """
    if num_samples < 1 or thin < 1 or burn_in < 0:
        raise ValueError(
            f"sample_posterior got num_samples={num_samples}, thin={thin}, burn_in={burn_in}; "
            "expected num_samples >= 1, thin >= 1, burn_in >= 0"
        )
    params, static = eqx.partition(model, eqx.is_inexact_array)
    key = jr.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    out = jax.eval_shape(lambda p: loss_fn(eqx.combine(p, static), data, key), params)
    names = tuple(out) if isinstance(out, dict) else ("loss",)
    weights = {name: jnp.ones(()) for name in names}
    state = TrainState(params, optimizer.init(params), weights, jnp.zeros((), jnp.int32), key, None)
    step = make_step(loss_fn, optimizer, static)

    def run(state, num_steps):
        def body(state, _):
            state, metrics = step(state, data, jr.fold_in(state.key, state.step))
            return state, metrics["loss"]

        return jax.lax.scan(body, state, length=num_steps)

    @jax.jit
    def chain(state):
        state, burn_loss = run(state, burn_in)

        def keep(state, _):
            state, loss = run(state, thin)
            return state, (state.params, loss)

        _, (samples, loss) = jax.lax.scan(keep, state, length=num_samples)
        return samples, jnp.concatenate([burn_loss, loss.reshape(-1)])

    samples, loss = chain(state)
    return Ensemble(eqx.combine(samples, static)), loss


@dataclasses.dataclass(frozen=True)
class LangevinState:
    """`position` (any shape) and the `key` of the next step's noise."""

    position: Array
    key: Array


jax.tree_util.register_dataclass(LangevinState, data_fields=["position", "key"], meta_fields=[])


def overdamped_langevin(
    potential: Callable[[Array], Array], dt: float, kT: float, friction: float = 1.0
) -> tuple[Callable, Callable]:
    """Overdamped (Brownian) Langevin dynamics by Euler-Maruyama.

    $$ \\gamma\\, dx = -\\nabla U(x)\\, dt + \\sqrt{2 \\gamma kT}\\, dW, \\qquad
       x_{n+1} = x_n - \\frac{\\Delta t}{\\gamma} \\nabla U(x_n)
       + \\sqrt{\\frac{2 kT \\Delta t}{\\gamma}}\\, \\xi_n $$

    The stationary density is `exp(-U / kT) / Z` up to an `O(dt)` bias; keep
    `dt * U'' / friction` well below 1 at the stiffest point. SGLD is this scheme with
    `friction = 1`, `dt = epsilon`, `kT = T` and a noisy gradient.

    **Arguments:** `potential(x) -> scalar` (a closure; `x` of any shape), `dt`, `kT`,
    `friction` (gamma).

    **Returns:** `(init_fn, apply_fn)` as jax-md: `init_fn(key, position)` gives a
    `LangevinState`, `apply_fn(state)` one step. Vmap both over walkers.
    """
    if dt <= 0 or kT < 0 or friction <= 0:
        raise ValueError(
            f"overdamped_langevin got dt={dt}, kT={kT}, friction={friction}; "
            "expected dt > 0, kT >= 0, friction > 0"
        )
    drift = dt / friction
    scale = math.sqrt(2.0 * kT * dt / friction)
    force = jax.grad(lambda x: jnp.sum(potential(x)))

    def init_fn(key: Key, position: Array) -> LangevinState:
        return LangevinState(jnp.asarray(position), key)

    def apply_fn(state: LangevinState) -> LangevinState:
        key, noise = jr.split(state.key)
        x = state.position
        xi = jr.normal(noise, x.shape, x.dtype)
        return LangevinState(x - drift * force(x) + scale * xi, key)

    return init_fn, apply_fn


def first_passage_times(
    apply_fn: Callable,
    state: LangevinState,
    crossed: Callable[[Array], Array],
    dt: float,
    num_steps: int,
) -> Float[Array, " walkers"]:
    """Time at which each walker first satisfies `crossed(position)`, `inf` if never.

    **Arguments:** `apply_fn` (one step of one walker), `state` (walkers stacked on the
    leading axis), `crossed(position) -> bool` for one walker, `dt`, `num_steps`.

    **Returns:** first passage times `(walkers,)`, censored (`inf`) at `num_steps * dt`;
    `escape_rate` turns them into a rate.
    """
    step = jax.vmap(apply_fn)
    hit = jax.vmap(crossed)

    @jax.jit
    def run(state):
        def body(carry, index):
            state, times = carry
            state = step(state)
            now = (index + 1) * dt
            times = jnp.where(jnp.isinf(times) & hit(state.position), now, times)
            return (state, times), None

        walkers = state.position.shape[0]
        times = jnp.full((walkers,), jnp.inf, state.position.dtype)
        (_, times), _ = jax.lax.scan(body, (state, times), jnp.arange(num_steps))
        return times

    return run(state)


def escape_rate(times: Float[Array, " walkers"], horizon: float) -> tuple[float, float]:
    """Rate of an exponential waiting time from censored first passage times.

    The maximum-likelihood rate is (escapes) / (total time at risk), each walker at risk
    until it escapes or until `horizon`; its standard error is `rate / sqrt(escapes)`.

    **Returns:** `(rate, standard_error)`.
    """
    times = np.asarray(times)
    escaped = np.isfinite(times)
    count = int(escaped.sum())
    if count == 0:
        raise ValueError(
            f"no walker escaped within horizon={horizon}; run longer or lower the barrier"
        )
    at_risk = float(np.where(escaped, times, horizon).sum())
    rate = count / at_risk
    return rate, rate / math.sqrt(count)


def kramers_rate(
    barrier: float, kT: float, friction: float, curvature_well: float, curvature_barrier: float
) -> float:
    """Kramers' escape rate over a barrier in the overdamped (Smoluchowski) limit.

    $$ k = \\frac{\\sqrt{U''(x_a)\\,|U''(x_b)|}}{2\\pi\\gamma}\\, e^{-\\Delta U / kT} $$

    Asymptotic in `barrier / kT`: corrections are `O(kT / barrier)` from the anharmonicity
    of well and barrier (19 % for the quartic well `(x^2 - 1)^2` at 3 kT, under 7 % for
    the piecewise-harmonic `double_well` at 3 kT).

    Reference: Kramers, Physica 7, 284 (1940); Hanggi, Talkner, Borkovec, Rev. Mod. Phys.
    62, 251 (1990), eq. (4.56b).
    """
    prefactor = math.sqrt(curvature_well * abs(curvature_barrier)) / (2 * math.pi * friction)
    return prefactor * math.exp(-barrier / kT)


def mean_first_passage_time(
    potential: Callable[[np.ndarray], np.ndarray],
    start: float,
    target: float,
    kT: float,
    friction: float = 1.0,
    lower: float = -10.0,
    num_points: int = 200_001,
) -> float:
    """The exact mean first passage time of 1-D overdamped Langevin from `start` to
    `target > start`, reflecting at `lower` (far in the well's wall):

    $$ \\tau = \\frac{\\gamma}{kT} \\int_a^b dy\\, e^{U(y)/kT} \\int_{-\\infty}^{y} dz\\,
       e^{-U(z)/kT} $$

    by the trapezoidal rule on `num_points` (numpy; `potential` vectorised).

    Reference: Gardiner, *Stochastic Methods*, sec. 5.5.
    """
    x = np.linspace(lower, target, num_points)
    u = np.asarray(potential(x), dtype=np.float64) / kT
    shift = u[x >= start].max()
    inner = np.concatenate(
        [[0.0], np.cumsum(0.5 * (np.exp(-u[1:]) + np.exp(-u[:-1])) * np.diff(x))]
    )
    inside = x >= start
    outer = np.exp(u[inside] - shift) * inner[inside]
    return friction / kT * math.exp(shift) * float(np.trapezoid(outer, x[inside]))


def boltzmann_ratio(
    potential: Callable[[np.ndarray], np.ndarray],
    split: float,
    kT: float,
    lower: float,
    upper: float,
    num_points: int = 200_001,
) -> float:
    """`Z_right / Z_left`: the exact ratio of the Boltzmann weights `exp(-U/kT)` above
    and below `split` on `[lower, upper]` (numerical integral), the equilibrium
    occupancy ratio of the two sides."""
    x = np.linspace(lower, upper, num_points)
    u = np.asarray(potential(x), dtype=np.float64) / kT
    w = np.exp(-(u - u.min()))
    right = x > split
    return float(np.trapezoid(w * right, x) / np.trapezoid(w * ~right, x))


def double_well(
    barrier: float,
    curvature_left: float,
    curvature_right: float,
    curvature_barrier: float,
) -> tuple[Callable[[Array], Array], float, float]:
    """A piecewise-harmonic double well: two minima of depth 0, a barrier `barrier` at 0.

    $$ U(x) = \\begin{cases}
       \\tfrac12 \\kappa_L (x - x_L)^2 & x < x_{jL} \\\\
       \\Delta U - \\tfrac12 \\kappa_b x^2 & x_{jL} \\le x \\le x_{jR} \\\\
       \\tfrac12 \\kappa_R (x - x_R)^2 & x > x_{jR}
       \\end{cases} $$

    with the joins placed so that `U` and `U'` are continuous. Its wells and barrier are
    exactly harmonic, so Kramers' formula and the harmonic partition functions
    `Z ~ sqrt(2 pi kT / kappa)` are accurate at modest barriers (the quartic well's
    anharmonic corrections are not confounded with the sampler's error).

    **Returns:** `(potential, x_left, x_right)`; `potential` works on jax and numpy
    scalars or arrays (elementwise), the positions are the two minima.
    """
    if min(barrier, curvature_left, curvature_right, curvature_barrier) <= 0:
        raise ValueError("double_well needs a positive barrier and positive curvatures")

    def side(kappa):
        # slope and value continuity at the join: kappa d = kappa_b |x_j|,
        # kappa d^2 / 2 + kappa_b x_j^2 / 2 = barrier
        d = math.sqrt(2 * barrier / (kappa * (1 + kappa / curvature_barrier)))
        join = kappa * d / curvature_barrier
        return join, join + d

    join_left, depth_left = side(curvature_left)
    join_right, depth_right = side(curvature_right)
    x_left, x_right = -depth_left, depth_right

    def potential(x):
        xp = jnp if isinstance(x, jax.Array) else np
        left = 0.5 * curvature_left * (x - x_left) ** 2
        right = 0.5 * curvature_right * (x - x_right) ** 2
        top = barrier - 0.5 * curvature_barrier * x**2
        return xp.where(x < -join_left, left, xp.where(x > join_right, right, top))

    return potential, x_left, x_right


def time_average(
    apply_fn: Callable,
    state: LangevinState,
    observable: Callable[[Array], Array],
    num_steps: int,
    burn_in: int = 0,
) -> Array:
    """Per-walker time average of `observable(position)` over `num_steps` steps after
    `burn_in` discarded ones (no trajectory stored).

    **Arguments:** `apply_fn` (one step of one walker), `state` (walkers stacked on the
    leading axis), `observable` (of one walker's position), `num_steps`, `burn_in`.

    **Returns:** the averages `(walkers, ...)`; walkers are independent, so the standard
    error of their mean is their standard deviation over `sqrt(walkers)`.
    """
    step = jax.vmap(apply_fn)
    measure = jax.vmap(observable)

    @jax.jit
    def run(state):
        state = jax.lax.fori_loop(0, burn_in, lambda _, s: step(s), state)

        def body(carry, _):
            state, total = carry
            state = step(state)
            return (state, total + measure(state.position)), None

        total = jnp.zeros_like(measure(state.position), dtype=state.position.dtype)
        (_, total), _ = jax.lax.scan(body, (state, total), length=num_steps)
        return total / num_steps

    return run(state)
