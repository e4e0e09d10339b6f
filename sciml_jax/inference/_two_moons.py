"""sbibm's two-moons task (Greenberg et al. 2019; Lueckmann et al. 2021)."""

import math
from typing import ClassVar

import jax.numpy as jnp
import jax.random as jr
from flowjax.distributions import Uniform

from ._task import AbstractTask

__all__ = ["TwoMoons"]


class TwoMoons(AbstractTask):
    """Two moons: a bimodal, crescent-shaped posterior in 2D.

    Prior $\\theta \\sim U([-1, 1]^2)$. Simulator, with $a \\sim U(-\\pi/2, \\pi/2)$ and
    $r \\sim N(0.1, 0.01^2)$:

    $$x = \\begin{pmatrix} r\\cos a + 0.25 \\\\ r \\sin a \\end{pmatrix} +
    \\begin{pmatrix} -|\\theta_1 + \\theta_2| / \\sqrt 2 \\\\
    (-\\theta_1 + \\theta_2) / \\sqrt 2 \\end{pmatrix}$$

    (sbibm's rotation by $-\\pi/4$ written out). Given $\\theta$, $x$ lies on a half ring
    of radius $r$ around a centre that depends on $\\theta$ only through $|\\theta_1 +
    \\theta_2|$ and $\\theta_2 - \\theta_1$, hence the two moons of the posterior.
    """

    name: ClassVar[str] = "two_moons"
    dim_theta: ClassVar[int] = 2
    dim_x: ClassVar[int] = 2

    @property
    def prior(self):
        return Uniform(-jnp.ones(2), jnp.ones(2))

    def simulate(self, theta, *, key):
        a_key, r_key = jr.split(key)
        a = jr.uniform(a_key, (), minval=-math.pi / 2, maxval=math.pi / 2)
        r = 0.1 + 0.01 * jr.normal(r_key, ())
        p = jnp.stack([r * jnp.cos(a) + 0.25, r * jnp.sin(a)])
        c = s = 1 / math.sqrt(2.0)  # cos(pi/4), sin(pi/4): sbibm rotates by -pi/4
        z0 = c * theta[0] + s * theta[1]
        z1 = -s * theta[0] + c * theta[1]
        return p + jnp.stack([-jnp.abs(z0), z1])
