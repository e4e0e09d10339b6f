"""Classic ODE systems as typed presets for `solve_ode`."""

import abc

import equinox as eqx
import jax.numpy as jnp

from ..._types import Array, Float, Scalar


class AbstractODESystem(eqx.Module):
    """An autonomous or non-autonomous ODE $\\dot y = f(t, y)$ with named parameters.

    Subclasses implement `vector_field(t, y, args)` (the diffrax signature, `args`
    unused) and may expose invariants (energy, mass) used by tests and experiments.
    """

    @abc.abstractmethod
    def vector_field(self, t: Scalar, y: Array, args=None) -> Array:
        """$f(t, y)$."""


class Lorenz(AbstractODESystem):
    """The Lorenz system, chaotic for the classic parameters.

    $$\\dot x = \\sigma (y - x), \\quad \\dot y = x(\\rho - z) - y, \\quad \\dot z = xy - \\beta z$$
    """

    sigma: float = 10.0
    rho: float = 28.0
    beta: float = 8.0 / 3.0

    def vector_field(self, t, y, args=None):
        x, yy, z = y
        return jnp.stack([self.sigma * (yy - x), x * (self.rho - z) - yy, x * yy - self.beta * z])


class DampedPendulum(AbstractODESystem):
    """A damped pendulum, $y = (\\theta, \\omega)$.

    $$\\dot\\theta = \\omega, \\quad
      \\dot\\omega = -\\frac{g}{\\ell} \\sin\\theta - \\gamma\\, \\omega$$

    The energy $E = \\omega^2/2 + (g/\\ell)(1 - \\cos\\theta)$ decays as
    $\\dot E = -\\gamma \\omega^2$.
    """

    gravity: float = 9.81
    length: float = 1.0
    damping: float = 0.1

    def vector_field(self, t, y, args=None):
        theta, omega = y
        return jnp.stack(
            [omega, -self.gravity / self.length * jnp.sin(theta) - self.damping * omega]
        )

    def energy(self, y: Array) -> Array:
        theta, omega = y[..., 0], y[..., 1]
        return 0.5 * omega**2 + self.gravity / self.length * (1 - jnp.cos(theta))


class LotkaVolterra(AbstractODESystem):
    """Predator–prey dynamics, $y = (x, y)$ prey and predator.

    $$\\dot x = \\alpha x - \\beta x y, \\quad \\dot y = \\delta x y - \\gamma y$$

    $V = \\delta x - \\gamma \\ln x + \\beta y - \\alpha \\ln y$ is conserved.
    """

    alpha: float = 1.5
    beta: float = 1.0
    delta: float = 1.0
    gamma: float = 3.0

    def vector_field(self, t, y, args=None):
        prey, predator = y
        return jnp.stack(
            [
                self.alpha * prey - self.beta * prey * predator,
                self.delta * prey * predator - self.gamma * predator,
            ]
        )

    def invariant(self, y: Array) -> Array:
        prey, predator = y[..., 0], y[..., 1]
        return (
            self.delta * prey
            - self.gamma * jnp.log(prey)
            + self.beta * predator
            - self.alpha * jnp.log(predator)
        )


class Kepler(AbstractODESystem):
    """The Kepler two-body problem in the plane, $y = (q_1, q_2, p_1, p_2)$.

    $$\\dot q = p, \\qquad \\dot p = -\\mu\\, q / |q|^3$$

    Hamiltonian $H = |p|^2/2 - \\mu/|q|$ and angular momentum $q_1 p_2 - q_2 p_1$ are
    conserved; the period of an orbit with semi-major axis $a$ is $2\\pi\\sqrt{a^3/\\mu}$.
    """

    mu: float = 1.0

    def vector_field(self, t, y, args=None):
        q, p = y[:2], y[2:]
        return jnp.concatenate([p, self.acceleration(q)])

    def acceleration(self, q: Float[Array, " ... 2"]) -> Float[Array, " ... 2"]:
        """$-\\mu q / |q|^3$, i.e. $-\\nabla V(q)$."""
        r = jnp.linalg.norm(q, axis=-1, keepdims=True)
        return -self.mu * q / r**3

    def energy(self, y: Array) -> Array:
        q, p = y[..., :2], y[..., 2:]
        return 0.5 * jnp.sum(p**2, axis=-1) - self.mu / jnp.linalg.norm(q, axis=-1)

    def angular_momentum(self, y: Array) -> Array:
        return y[..., 0] * y[..., 3] - y[..., 1] * y[..., 2]

    def initial_state(self, eccentricity: float, semi_major_axis: float = 1.0) -> Array:
        """The state at periapsis of the orbit with the given eccentricity."""
        if not 0.0 <= eccentricity < 1.0:
            raise ValueError(
                f"eccentricity must be in [0, 1) for a bound orbit, got {eccentricity!r}."
            )
        r = semi_major_axis * (1 - eccentricity)
        speed = jnp.sqrt(self.mu * (1 + eccentricity) / r)
        return jnp.array([r, 0.0, 0.0, speed])

    def period(self, semi_major_axis: float = 1.0) -> Array:
        return 2 * jnp.pi * jnp.sqrt(semi_major_axis**3 / self.mu)


class Robertson(AbstractODESystem):
    """Robertson's stiff chemical kinetics (rate constants span 9 orders of magnitude).

    $$\\dot y_1 = -k_1 y_1 + k_3 y_2 y_3, \\quad
      \\dot y_2 = k_1 y_1 - k_3 y_2 y_3 - k_2 y_2^2, \\quad \\dot y_3 = k_2 y_2^2$$

    The total $y_1 + y_2 + y_3$ is conserved. Explicit solvers need $dt \\sim 10^{-4}$
    forever; use an implicit solver (`"kvaerno5"`) with a PID controller.
    """

    k1: float = 0.04
    k2: float = 3e7
    k3: float = 1e4

    def vector_field(self, t, y, args=None):
        y1, y2, y3 = y
        return jnp.stack(
            [
                -self.k1 * y1 + self.k3 * y2 * y3,
                self.k1 * y1 - self.k3 * y2 * y3 - self.k2 * y2**2,
                self.k2 * y2**2,
            ]
        )


def invariant_errors(system: AbstractODESystem, ys: Array) -> dict:
    """How well a trajectory `ys` (times, state) keeps the system's invariant, by name:
    Kepler's energy and Lotka-Volterra's first integral as $\\max |I/I_0 - 1|$, Robertson's
    total mass as $\\max |\\sum_i y_i - 1|$, and for the damped pendulum whether the energy
    never rises (by more than 1e-12). Empty for a system without one (Lorenz)."""
    if isinstance(system, Kepler):
        energy = system.energy(ys)
        return {"max_rel_energy_error": float(jnp.max(jnp.abs(energy / energy[0] - 1)))}
    if isinstance(system, LotkaVolterra):
        invariant = system.invariant(ys)
        return {"max_rel_invariant_error": float(jnp.max(jnp.abs(invariant / invariant[0] - 1)))}
    if isinstance(system, Robertson):
        return {"max_mass_error": float(jnp.max(jnp.abs(jnp.sum(ys, axis=1) - 1)))}
    if isinstance(system, DampedPendulum):
        energy = system.energy(ys)
        return {"energy_monotone_decreasing": bool(jnp.all(jnp.diff(energy) <= 1e-12))}
    return {}
