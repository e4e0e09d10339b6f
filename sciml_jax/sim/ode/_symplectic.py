"""Fixed-step integrators for Hamiltonian systems, as steppers for `rollout`.

For $H(q, p) = |p|^2 / 2m + V(q)$ a symplectic one-step map preserves phase-space
volume and exactly conserves a modified Hamiltonian $\\tilde H = H + O(dt^k)$, so the
energy error stays bounded for exponentially long times; a non-symplectic method such as
classical RK4 lets it drift secularly (Hairer, Lubich & Wanner, *Geometric Numerical
Integration*, ch. IX).
"""

from collections.abc import Callable

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp

from ..._types import Array
from .._rollout import rollout

PhaseState = tuple[Array, Array]


class VelocityVerlet(eqx.Module):
    """Velocity Verlet (kick–drift–kick leapfrog) for $\\dot q = p/m$, $\\dot p = F(q)$.

    $$p_{1/2} = p_n + \\tfrac{dt}{2} F(q_n), \\quad q_{n+1} = q_n + dt\\, p_{1/2}/m, \\quad
      p_{n+1} = p_{1/2} + \\tfrac{dt}{2} F(q_{n+1})$$

    Second order, symplectic, time-reversible. Two force evaluations per step as
    written (the state carries no cached force, so the stepper stays a plain map).

    **Arguments:**

    - `force`: $F(q) = -\\nabla V(q)$.
    - `dt`: time step.
    - `mass`: $m$ (scalar or broadcastable to $q$).

    **Example:**

    ```python
    kepler = Kepler()
    stepper = VelocityVerlet(kepler.acceleration, dt=0.01)
    q, p = rollout(stepper, (q0, p0), 10_000, save_every=100)
    ```
    """

    force: Callable[[Array], Array]
    dt: float
    mass: float = 1.0

    def __call__(self, state: PhaseState) -> PhaseState:
        q, p = state
        p_half = p + 0.5 * self.dt * self.force(q)
        q_next = q + self.dt * p_half / self.mass
        p_next = p_half + 0.5 * self.dt * self.force(q_next)
        return q_next, p_next


class Leapfrog(eqx.Module):
    """Position Verlet (drift–kick–drift leapfrog): the adjoint of `VelocityVerlet`.

    $$q_{1/2} = q_n + \\tfrac{dt}{2} p_n/m, \\quad p_{n+1} = p_n + dt\\, F(q_{1/2}), \\quad
      q_{n+1} = q_{1/2} + \\tfrac{dt}{2} p_{n+1}/m$$

    One force evaluation per step; second order and symplectic.

    **Arguments:** as `VelocityVerlet`.
    """

    force: Callable[[Array], Array]
    dt: float
    mass: float = 1.0

    def __call__(self, state: PhaseState) -> PhaseState:
        q, p = state
        q_half = q + 0.5 * self.dt * p / self.mass
        p_next = p + self.dt * self.force(q_half)
        return q_half + 0.5 * self.dt * p_next / self.mass, p_next


class SymplecticEuler(eqx.Module):
    """Symplectic (semi-implicit) Euler, kick then drift.

    $p_{n+1} = p_n + dt F(q_n)$, $q_{n+1} = q_n + dt\\, p_{n+1}/m$.

    First order, symplectic; the same map as `diffrax.SemiImplicitEuler`.
    """

    force: Callable[[Array], Array]
    dt: float
    mass: float = 1.0

    def __call__(self, state: PhaseState) -> PhaseState:
        q, p = state
        p_next = p + self.dt * self.force(q)
        return q + self.dt * p_next / self.mass, p_next


class RungeKutta4(eqx.Module):
    """Classical fourth-order Runge–Kutta for $\\dot y = f(y)$, as a fixed-step stepper.

    Not symplectic: on Hamiltonian systems its energy error grows linearly in time.

    **Arguments:**

    - `vector_field`: $f(y)$ (any PyTree in and out).
    - `dt`: time step.
    """

    vector_field: Callable
    dt: float

    def __call__(self, y):

        f, h = self.vector_field, self.dt
        axpy = lambda a, x, y: jax.tree.map(lambda xi, yi: yi + a * xi, x, y)
        k1 = f(y)
        k2 = f(axpy(h / 2, k1, y))
        k3 = f(axpy(h / 2, k2, y))
        k4 = f(axpy(h, k3, y))
        return jax.tree.map(
            lambda yi, a, b, c, d: yi + h / 6 * (a + 2 * b + 2 * c + d), y, k1, k2, k3, k4
        )


def hamiltonian_vector_field(force: Callable[[Array], Array], mass: float = 1.0):
    """$(q, p) \\mapsto (p/m, F(q))$, to integrate a separable Hamiltonian with `RungeKutta4`."""
    return lambda state: (state[1] / mass, force(state[0]))


def energy_error_per_period(
    stepper: Callable[[PhaseState], PhaseState],
    energy: Callable[[Array], Array],
    y0: Array,
    num_periods: int,
    steps_per_period: int,
) -> tuple[Array, PhaseState]:
    """$\\max_{t \\in \\text{period } j} |H(t)/H_0 - 1|$ for each of `num_periods` periods of
    `steps_per_period` steps, without storing the trajectory.

    **Arguments:** a phase-space `stepper` (`VelocityVerlet`, `RungeKutta4`, ...), the
    Hamiltonian `energy(y)` of a state `y = (q, p)` concatenated, and `y0` concatenated.

    **Returns:** the per-period errors `(num_periods,)` and the final `(q, p)`.
    """
    d = y0.shape[-1] // 2
    e0 = energy(y0)

    def one_period(state, _):
        q, p = rollout(stepper, state, steps_per_period)
        error = jnp.abs(energy(jnp.concatenate([q, p], axis=-1)) / e0 - 1)
        return (q[-1], p[-1]), jnp.max(error)

    final, errors = jax.lax.scan(one_period, (y0[:d], y0[d:]), None, length=num_periods)
    return errors, final


def solve_semi_implicit_euler(
    acceleration: Callable[[Array], Array],
    y0: Array,
    t1: float,
    dt: float,
    *,
    saveat: Array,
    max_steps: int,
) -> Array:
    """Symplectic Euler by diffrax (`diffrax.SemiImplicitEuler`: kick $p$, then drift $q$)
    for $\\ddot q = a(q)$ from `y0 = (q, p)` concatenated, with a fixed step `dt`.

    **Returns:** the states `(q, p)` concatenated at the times `saveat`.
    """
    d = y0.shape[-1] // 2
    terms = (
        diffrax.ODETerm(lambda t, q, args: acceleration(q)),
        diffrax.ODETerm(lambda t, momentum, args: momentum),
    )
    solution = jax.jit(
        lambda y: diffrax.diffeqsolve(
            terms,
            diffrax.SemiImplicitEuler(),
            0.0,
            t1,
            dt,
            (y[d:], y[:d]),
            saveat=diffrax.SaveAt(ts=saveat),
            max_steps=max_steps,
        )
    )(y0)
    momentum, position = jax.block_until_ready(solution.ys)
    return jnp.concatenate([position, momentum], axis=-1)
