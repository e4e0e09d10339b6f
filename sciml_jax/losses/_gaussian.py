"""Gaussian negative log-likelihood loss terms for heteroscedastic regression."""

import math

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


def gaussian_nll_loss(
    mean: Float[Array, "*shape"],
    variance: Float[Array, "*shape"],
    target: Float[Array, "*shape"],
) -> Float[Array, ""]:
    """Mean Gaussian negative log-likelihood of `target` under `N(mean, variance)`.

    $$ \\mathcal L = \\frac1n \\sum_j \\tfrac12 \\Big[\\log(2\\pi\\sigma_j^2)
       + \\frac{(y_j - \\mu_j)^2}{\\sigma_j^2}\\Big] $$

    **Arguments:** `mean`, `variance` (positive; a heteroscedastic head's outputs) and
    `target`, all of one shape.

    **Returns:** a scalar loss term. Minimised over `variance` it gives
    `variance = (y - mean)^2`: the network learns the noise level.

    **Example:** `gaussian_nll_loss(*jax.vmap(head)(x), y)`.

    Reference: Nix and Weigend, "Estimating the mean and variance of the target
    probability distribution", ICNN 1994.
    """
    return jnp.mean(_pointwise_nll(mean, variance, target))


def beta_nll_loss(
    mean: Float[Array, "*shape"],
    variance: Float[Array, "*shape"],
    target: Float[Array, "*shape"],
    beta: float = 0.5,
) -> Float[Array, ""]:
    """The beta-NLL of Seitzer et al.: each point's NLL weighted by `stop_grad(var^beta)`.

    $$ \\mathcal L_\\beta = \\frac1n \\sum_j \\lfloor \\sigma_j^{2\\beta} \\rfloor
       \\tfrac12 \\Big[\\log\\sigma_j^2 + \\frac{(y_j - \\mu_j)^2}{\\sigma_j^2}\\Big] $$

    ($\\lfloor\\cdot\\rfloor$: stop-gradient). The plain NLL's gradient for the mean is
    divided by $\\sigma^2$, so points the model calls noisy barely train the mean and the
    fit can stall there; the weight undoes that. `beta = 0` is the NLL, `beta = 1` gives the
    mean the gradient of the squared error; the paper recommends `beta = 0.5`. The
    minimiser over `variance` is unchanged (the weight is a constant in the gradient).

    **Arguments:** as `gaussian_nll_loss`, and `beta` in `[0, 1]`.

    **Returns:** a scalar loss term.

    Reference: Seitzer, Tavakoli, Antic, Martius, "On the pitfalls of heteroscedastic
    uncertainty estimation with probabilistic neural networks", ICLR 2022.
    """
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta_nll_loss got beta={beta}; expected 0 <= beta <= 1 (0.5 usual)")
    weight = jax.lax.stop_gradient(variance**beta)
    return jnp.mean(weight * _pointwise_nll(mean, variance, target))


def _pointwise_nll(mean, variance, target):
    return 0.5 * (jnp.log(2 * math.pi * variance) + (target - mean) ** 2 / variance)
