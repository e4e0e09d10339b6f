"""sbibm's ODE tasks, Lotka-Volterra and SIR, solved through `sciml_jax.sim.solve_ode`."""

import math
from typing import ClassVar

import jax.numpy as jnp
import jax.random as jr
from flowjax.distributions import LogNormal

from ..sim import LotkaVolterra as LotkaVolterraSystem
from ..sim import solve_ode
from ._task import AbstractTask

__all__ = ["LotkaVolterraTask", "SIR"]


class LotkaVolterraTask(AbstractTask):
    """Predator-prey dynamics observed with log-normal noise at 10 times.

    $\\theta = (\\alpha, \\beta, \\gamma, \\delta)$ with $\\log \\theta \\sim
    N((-0.125, -3, -0.125, -3), 0.5^2 I)$;
    $\\dot u = \\alpha u - \\beta u v$, $\\dot v = -\\gamma v + \\delta u v$ from
    $(u, v)(0) = (30, 1)$, solved (Dopri5, rtol 1e-6) and read at
    $t = 0, 2.1, \\dots, 18.9$ (sbibm saves every 0.1 on $[0, 20]$ and keeps every 21st);
    $x = (u(t_i) e^{0.1 \\epsilon_i})_{i} \\oplus (v(t_i) e^{0.1 \\eta_i})_{i}$, states
    clipped to $[10^{-10}, 10^4]$ before the noise.
    """

    name: ClassVar[str] = "lotka_volterra"
    dim_theta: ClassVar[int] = 4
    dim_x: ClassVar[int] = 20

    @property
    def prior(self):
        return LogNormal(jnp.array([-0.125, -3.0, -0.125, -3.0]), 0.5 * jnp.ones(4))

    def trajectory(self, theta):
        """The noise-free states `(2, 10)` at the observation times."""
        alpha, beta, gamma, delta = theta
        system = LotkaVolterraSystem(alpha=alpha, beta=beta, delta=delta, gamma=gamma)
        ts = 2.1 * jnp.arange(10)
        sol = solve_ode(
            system.vector_field,
            jnp.array([30.0, 1.0], theta.dtype),
            0.0,
            20.0,
            saveat=ts,
            solver="dopri5",
            dt0=0.01,
            rtol=1e-6,
            atol=1e-6,
            max_steps=20_000,
        )
        return sol.ys.T

    def simulate(self, theta, *, key):
        u = jnp.clip(self.trajectory(theta), 1e-10, 1e4).reshape(20)
        return u * jnp.exp(0.1 * jr.normal(key, (20,), u.dtype))


_N = 1e6


def _sir_field(t, y, args):
    beta, gamma = args
    s, i, _ = y
    infection = beta * s * i / _N
    return jnp.stack([-infection, infection - gamma * i, gamma * i])


class SIR(AbstractTask):
    """An SIR epidemic in a population of $10^6$, infections counted in 1000 tests.

    $\\log \\beta \\sim N(\\log 0.4, 0.5^2)$, $\\log \\gamma \\sim N(\\log 0.125, 0.2^2)$;
    $\\dot S = -\\beta S I / N$, $\\dot I = \\beta S I / N - \\gamma I$,
    $\\dot R = \\gamma I$ from $(N - 1, 1, 0)$; at days $0, 17, \\dots, 153$
    $x_i \\sim \\mathrm{Binomial}(1000, I(t_i) / N)$.
    """

    name: ClassVar[str] = "sir"
    dim_theta: ClassVar[int] = 2
    dim_x: ClassVar[int] = 10

    @property
    def prior(self):
        return LogNormal(jnp.array([math.log(0.4), math.log(0.125)]), jnp.array([0.5, 0.2]))

    def infected(self, theta):
        """The noise-free $I(t_i)$ at the ten observation days."""
        sol = solve_ode(
            _sir_field,
            jnp.array([_N - 1.0, 1.0, 0.0], theta.dtype),
            0.0,
            160.0,
            saveat=17.0 * jnp.arange(10),
            solver="dopri5",
            dt0=0.1,
            rtol=1e-6,
            atol=1e-3,  # populations are counts up to 1e6
            max_steps=20_000,
            args=(theta[0], theta[1]),
        )
        return sol.ys[:, 1]

    def simulate(self, theta, *, key):
        p = jnp.clip(self.infected(theta) / _N, 0.0, 1.0)
        return jr.binomial(key, 1000, p).astype(theta.dtype)
