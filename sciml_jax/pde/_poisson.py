"""Poisson and Helmholtz equations with manufactured solutions."""

import jax.numpy as jnp

from ..ops import laplacian
from ._base import AbstractPDE


class Helmholtz(AbstractPDE):
    r"""Helmholtz $\Delta u + k^2 u = f$ on $[-1, 1]^2$ (Poisson when $k = 0$).

    Manufactured solution $u^* = \sin(a_1 \pi x)\sin(a_2 \pi y)$, which vanishes on the
    boundary for integer $a_i$, with forcing $f = (k^2 - (a_1^2 + a_2^2)\pi^2) u^*$.

    **Arguments:**

    - `wavenumber`: $k$ (0 gives Poisson).
    - `a1`, `a2`: the integer frequencies of the manufactured solution.
    """

    wavenumber: float = 1.0
    a1: int = 1
    a2: int = 4

    def exact(self, p):
        return jnp.sin(self.a1 * jnp.pi * p[0]) * jnp.sin(self.a2 * jnp.pi * p[1])

    def forcing(self, p):
        k2 = self.wavenumber**2 - (self.a1**2 + self.a2**2) * jnp.pi**2
        return k2 * self.exact(p)

    def residual(self, u, p):
        return laplacian(u)(p) + self.wavenumber**2 * u(p) - self.forcing(p)

    def boundary(self, p):
        return jnp.zeros_like(p[0])


def Poisson(a1: int = 1, a2: int = 1) -> Helmholtz:
    r"""Poisson $\Delta u = f$: a `Helmholtz` problem with wavenumber 0."""
    return Helmholtz(wavenumber=0.0, a1=a1, a2=a2)
