"""sbibm's Gaussian mixture task (Sisson et al. 2007)."""

from typing import ClassVar

import jax.numpy as jnp
import jax.random as jr
from flowjax.distributions import Uniform

from ._task import AbstractTask

__all__ = ["GaussianMixture"]


class GaussianMixture(AbstractTask):
    """A mixture of a wide and a narrow Gaussian with a shared mean.

    $\\theta \\sim U([-10, 10]^2)$, $x | \\theta \\sim \\tfrac12 N(\\theta, I) +
    \\tfrac12 N(\\theta, 0.01 I)$.
    """

    name: ClassVar[str] = "gaussian_mixture"
    dim_theta: ClassVar[int] = 2
    dim_x: ClassVar[int] = 2

    @property
    def prior(self):
        return Uniform(-10 * jnp.ones(2), 10 * jnp.ones(2))

    def simulate(self, theta, *, key):
        pick_key, noise_key = jr.split(key)
        scale = jnp.where(jr.bernoulli(pick_key), 0.1, 1.0)
        return theta + scale * jr.normal(noise_key, theta.shape, theta.dtype)
