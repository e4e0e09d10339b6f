"""sbibm's Gaussian linear tasks: a Gaussian likelihood with a Gaussian or a uniform prior."""

from typing import ClassVar

import jax.numpy as jnp
import jax.random as jr
from flowjax.distributions import MultivariateNormal, Normal, Uniform

from ._task import AbstractTask

__all__ = ["GaussianLinear", "GaussianLinearUniform"]

_NOISE_VARIANCE = 0.1  # sbibm's simulator_scale enters as a precision 1/0.1: a variance


class GaussianLinear(AbstractTask):
    """Gaussian linear in 10D, the one task whose posterior is known in closed form.

    $\\theta \\sim N(0, 0.1 I_{10})$, $x | \\theta \\sim N(\\theta, 0.1 I_{10})$ (sbibm's
    `prior_scale` and `simulator_scale` are passed as precisions `1/0.1`: variances).
    The posterior is $N(x/2, 0.05 I)$: precisions add, $1/0.1 + 1/0.1 = 20$.
    """

    name: ClassVar[str] = "gaussian_linear"
    dim_theta: ClassVar[int] = 10
    dim_x: ClassVar[int] = 10

    @property
    def prior(self):
        return Normal(jnp.zeros(10), jnp.sqrt(0.1) * jnp.ones(10))

    def simulate(self, theta, *, key):
        return theta + jnp.sqrt(_NOISE_VARIANCE) * jr.normal(key, theta.shape, theta.dtype)

    def true_posterior(self, x) -> MultivariateNormal:
        """The exact posterior $N(\\Sigma \\Sigma_x^{-1} x, \\Sigma)$, $\\Sigma^{-1} =
        \\Sigma_0^{-1} + \\Sigma_x^{-1}$, as a flowjax distribution."""
        precision = 1 / 0.1 + 1 / _NOISE_VARIANCE
        cov = jnp.eye(10) / precision
        return MultivariateNormal(jnp.asarray(x) / _NOISE_VARIANCE / precision, cov)


class GaussianLinearUniform(AbstractTask):
    """Gaussian linear with a uniform prior: $\\theta \\sim U([-1, 1]^{10})$,
    $x | \\theta \\sim N(\\theta, 0.1 I)$; the posterior is $N(x, 0.1 I)$ truncated to the box."""

    name: ClassVar[str] = "gaussian_linear_uniform"
    dim_theta: ClassVar[int] = 10
    dim_x: ClassVar[int] = 10

    @property
    def prior(self):
        return Uniform(-jnp.ones(10), jnp.ones(10))

    def simulate(self, theta, *, key):
        return theta + jnp.sqrt(_NOISE_VARIANCE) * jr.normal(key, theta.shape, theta.dtype)
