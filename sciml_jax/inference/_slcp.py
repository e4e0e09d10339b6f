"""sbibm's SLCP task: simple likelihood, complex posterior (Papamakarios et al. 2019)."""

from typing import ClassVar

import jax.numpy as jnp
import jax.random as jr
from flowjax.distributions import Uniform

from ._task import AbstractTask

__all__ = ["SLCP"]


class SLCP(AbstractTask):
    """SLCP: four i.i.d. 2D Gaussian draws whose mean and covariance are set by $\\theta$.

    Prior $\\theta \\sim U([-3, 3]^5)$. With $m = (\\theta_1, \\theta_2)$,
    $s_1 = \\theta_3^2$, $s_2 = \\theta_4^2$, $\\rho = \\tanh \\theta_5$:

    $$x_j \\sim N\\left(m, \\begin{pmatrix} s_1^2 & \\rho s_1 s_2 \\\\
    \\rho s_1 s_2 & s_2^2 \\end{pmatrix} + 10^{-6} I\\right), \\quad j = 1..4,$$

    $x = (x_1, x_2, x_3, x_4) \\in \\mathbb{R}^8$ (sbibm's order). The signs of
    $\\theta_3, \\theta_4$ are unidentifiable, so the posterior has four modes.
    """

    name: ClassVar[str] = "slcp"
    dim_theta: ClassVar[int] = 5
    dim_x: ClassVar[int] = 8

    @property
    def prior(self):
        return Uniform(-3 * jnp.ones(5), 3 * jnp.ones(5))

    def simulate(self, theta, *, key):
        s1, s2, rho = theta[2] ** 2, theta[3] ** 2, jnp.tanh(theta[4])
        eps = 1e-6  # sbibm's diagonal jitter
        l00 = jnp.sqrt(s1**2 + eps)
        l10 = rho * s1 * s2 / l00
        l11 = jnp.sqrt(jnp.maximum(s2**2 + eps - l10**2, 0.0))
        chol = jnp.array([[l00, 0.0], [l10, l11]], theta.dtype)
        z = jr.normal(key, (4, 2), theta.dtype)
        return (theta[:2] + z @ chol.T).reshape(8)
