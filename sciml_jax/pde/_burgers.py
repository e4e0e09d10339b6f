"""Viscous Burgers equation in one space dimension."""

import jax
import jax.numpy as jnp

from ..ops import coordinate_direction, taylor
from ._base import AbstractPDE
from ._burgers_exact import burgers_cole_hopf


class Burgers(AbstractPDE):
    r"""Viscous Burgers: $u_t + \lambda_1 u\,u_x - \lambda_2 u_{xx} = 0$, points `(x, t)`.

    The classic PINN benchmark has $\lambda_1 = 1$, $\lambda_2 = \nu = 0.01/\pi$ on
    $x \in [-1, 1]$, $t \in [0, 1]$, $u(x, 0) = -\sin(\pi x)$, $u(\pm 1, t) = 0$; its
    exact solution is `burgers_cole_hopf`. `convection` and `viscosity` are array
    leaves, so an inverse problem trains them.

    The residual uses one Taylor-mode pass along `x` (giving $u, u_x, u_{xx}$ together)
    and one forward-mode pass along `t`: cheaper than nested reverse mode.

    **Arguments:**

    - `viscosity`: $\lambda_2$ (default `0.01/pi`); `convection`: $\lambda_1$ (default 1).
    """

    viscosity: float | jax.Array = 0.01 / jnp.pi
    convection: float | jax.Array = 1.0

    def residual(self, u, p):
        value, u_x, u_xx = taylor(u, p, coordinate_direction(p, 0), 2)
        u_t = jax.jvp(u, (p,), (coordinate_direction(p, -1),))[1]
        return u_t + self.convection * value * u_x - self.viscosity * u_xx

    def initial(self, p):
        """$u(x, 0) = -\\sin(\\pi x)$."""
        return -jnp.sin(jnp.pi * p[0])

    def boundary(self, p):
        """$u(\\pm 1, t) = 0$."""
        return jnp.zeros_like(p[0])

    def exact(self, p):
        """The Cole–Hopf solution (valid for the sine initial condition, `convection=1`)."""
        return burgers_cole_hopf(p[0], p[-1], self.viscosity)
