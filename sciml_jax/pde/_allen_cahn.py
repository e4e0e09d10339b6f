"""The Allen–Cahn reaction-diffusion equation in one space dimension."""

import jax
import jax.numpy as jnp

from ..ops import coordinate_direction, taylor
from ._base import AbstractPDE


class AllenCahn(AbstractPDE):
    r"""Allen–Cahn: $u_t - \epsilon u_{xx} + \gamma (u^3 - u) = 0$, points `(x, t)`.

    The PINN benchmark (Raissi et al.; jaxpi) takes $\epsilon = 10^{-4}$, $\gamma = 5$,
    $x \in [-1, 1]$ periodic, $t \in [0, 1]$, $u(x, 0) = x^2\cos(\pi x)$. Its solution
    develops sharp fronts at $u = \pm 1$; the reference is a spectral ETDRK4 solve.

    **Arguments:**

    - `diffusivity`: $\epsilon$; `reaction`: $\gamma$.
    """

    diffusivity: float = 1e-4
    reaction: float = 5.0

    def residual(self, u, p):
        value, _, u_xx = taylor(u, p, coordinate_direction(p, 0), 2)
        u_t = jax.jvp(u, (p,), (coordinate_direction(p, -1),))[1]
        return u_t - self.diffusivity * u_xx + self.reaction * (value**3 - value)

    def initial(self, p):
        """$u(x, 0) = x^2 \\cos(\\pi x)$."""
        return p[0] ** 2 * jnp.cos(jnp.pi * p[0])
