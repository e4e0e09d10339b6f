"""Proper scoring rules for predictive distributions and intervals.

Lower is better for all of them. For a Gaussian predictive $\\mathcal N(\\mu, \\sigma^2)$ and
an outcome $y$, with $z = (y - \\mu)/\\sigma$, $\\Phi$ and $\\varphi$ the standard normal CDF and
density:

- negative log-likelihood $\\tfrac12 \\log(2\\pi\\sigma^2) + \\tfrac12 z^2$;
- CRPS $\\int (F(t) - 1\\{t \\ge y\\})^2 dt$
  $= \\sigma\\,[z(2\\Phi(z) - 1) + 2\\varphi(z) - 1/\\sqrt\\pi]$
  (Gneiting and Raftery 2007, eq. 21), and for samples $X, X'$ of any predictive,
  $E|X - y| - \\tfrac12 E|X - X'|$;
- interval score of a central $(1-\\alpha)$ interval $[l, u]$ (Gneiting and Raftery 2007,
  eq. 43): $(u - l) + \\tfrac2\\alpha (l - y)_+ + \\tfrac2\\alpha (y - u)_+$;
- exceedance probability $P(Y > y^*) = 1 - \\Phi((y^* - \\mu)/\\sigma)$ and the Brier score
  $(p - 1\\{y > y^*\\})^2$ of such probabilities.

All are elementwise (broadcasting) pure `jnp` functions; average them yourself.
"""

import math

import jax.numpy as jnp
from jax.scipy.special import ndtr

from .._types import Array, Float


def gaussian_nll(y, mean, std) -> Float[Array, "..."]:
    """Negative log-likelihood of `y` under $\\mathcal N(\\text{mean}, \\text{std}^2)$."""
    z = (y - mean) / std
    return 0.5 * jnp.log(2 * jnp.pi) + jnp.log(std) + 0.5 * z**2


def crps_gaussian(y, mean, std) -> Float[Array, "..."]:
    """Closed-form CRPS of a Gaussian predictive (Gneiting and Raftery 2007, eq. 21):
    $\\sigma [z (2\\Phi(z) - 1) + 2\\varphi(z) - 1/\\sqrt\\pi]$, $z = (y - \\mu)/\\sigma$.

    ```python
    crps_gaussian(0.0, 0.0, 1.0)  # (sqrt 2 - 1)/sqrt pi = 0.2337
    ```
    """
    z = (y - mean) / std
    pdf = jnp.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    return std * (z * (2 * ndtr(z) - 1) + 2 * pdf - 1 / math.sqrt(math.pi))


def crps_samples(y, samples: Float[Array, "m ..."]) -> Float[Array, "..."]:
    """CRPS of an empirical predictive from `samples` (axis 0), the energy form
    $\\frac1m \\sum_i |x_i - y| - \\frac1{2m^2} \\sum_{ij} |x_i - x_j|$, computed in
    $O(m \\log m)$ from the sorted samples:
    $\\sum_{ij}|x_i - x_j| = 2\\sum_i (2i - m - 1) x_{(i)}$."""
    m = samples.shape[0]
    sorted_samples = jnp.sort(samples, axis=0)
    weights = (2 * jnp.arange(1, m + 1) - m - 1).reshape((m,) + (1,) * (samples.ndim - 1))
    spread = 2 * jnp.sum(weights * sorted_samples, axis=0) / m**2
    return jnp.mean(jnp.abs(samples - y), axis=0) - 0.5 * spread


def interval_score(y, lower, upper, alpha: float) -> Float[Array, "..."]:
    """Gneiting-Raftery interval score of the central $(1-\\alpha)$ interval `[lower, upper]`:
    width plus $2/\\alpha$ times the distance by which `y` falls outside."""
    return (
        (upper - lower)
        + (2 / alpha) * jnp.maximum(lower - y, 0.0)
        + (2 / alpha) * jnp.maximum(y - upper, 0.0)
    )


def exceedance_probability(mean, std, threshold) -> Float[Array, "..."]:
    """$P(Y > y^*)$ under $\\mathcal N(\\mu, \\sigma^2)$: $1 - \\Phi((y^* - \\mu)/\\sigma)$."""
    return ndtr((mean - threshold) / std)


def brier_score(probability, outcome) -> Float[Array, "..."]:
    """Brier score $(p - o)^2$ of a probability forecast `p` for a binary `outcome` in {0, 1}
    (e.g. `y > threshold`)."""
    return (probability - jnp.asarray(outcome, probability.dtype)) ** 2
