"""Multi-fidelity Gaussian processes: linear AR1 (Kennedy-O'Hagan) and nonlinear NARGP.

**AR1** (Kennedy and O'Hagan 2000), fitted recursively as Le Gratiet and Garnier (2014):

$$ f_H(x) = \\rho\\, f_L(x) + \\delta(x), \\qquad
   f_L \\sim \\mathcal{GP}, \\ \\delta \\sim \\mathcal{GP} \\ \\text{independent}. $$

Stage 1 fits a GP to the low-fidelity data; stage 2 maximises the marginal likelihood of
$y_H - \\rho\\, \\mu_L(x_H) - b$ under the $\\delta$ GP over $(\\rho, b, \\theta_\\delta)$, with
$\\mu_L$ the stage-1 posterior mean (exact at nested designs $x_H \\subset x_L$ with
noise-free data). Prediction: $\\mu_H = \\rho \\mu_L + b + \\mu_\\delta$,
$\\sigma_H^2 = \\rho^2 \\sigma_L^2 + \\sigma_\\delta^2$.

**NARGP** (Perdikaris et al. 2017, Proc. R. Soc. A 473:20160751): the high-fidelity GP
takes the low-fidelity value as an input,

$$ f_H(x) = g(x, f_L(x)), \\qquad
   k\\big((x, f), (x', f')\\big) = k_\\rho(x, x')\\, k_f(f, f') + k_\\delta(x, x'), $$

trained on $(x_H, \\mu_L(x_H))$. At prediction the low-fidelity uncertainty is propagated
by Monte Carlo: $f_L^{(s)}(x) \\sim \\mathcal N(\\mu_L(x), \\sigma_L^2(x))$ at each test point,
then the mixture moments $\\mu_H = \\overline{\\mu^{(s)}}$,
$\\sigma_H^2 = \\overline{\\sigma^{2(s)}} + \\mathrm{Var}_s\\,\\mu^{(s)}$.

emukit implements both on GPy; these are the same models in JAX (float64 recommended).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from .._types import Key
from ._gp import (
    ExactGP,
    _as_2d,
    fit_gp,
    minimize_restarts,
    neg_log_marginal_likelihood,
    random_stationary_params,
    stationary,
)


class AR1GP(eqx.Module):
    """A fitted linear autoregressive two-fidelity GP; `predict(x) -> (mean, variance)`
    of $f_H$. `rho` is the fitted scale, `offset` the constant $b$."""

    low: ExactGP
    delta: ExactGP
    rho: jax.Array
    offset: jax.Array

    def predict(self, x):
        x = _as_2d(x)
        mean_low, var_low = self.low.predict(x)
        mean_delta, var_delta = self.delta.predict(x)
        return self.rho * mean_low + mean_delta, self.rho**2 * var_low + var_delta


def _fit_low_fidelity(x_low, y_low, x_high, y_high, key, kernel, *fit_settings):
    """Both recursive schemes' first stage: the data as `(n, d)` / `(n,)` arrays and a GP
    fitted to the low-fidelity points (`fit_settings`: num_restarts, steps, learning rate,
    jitter)."""
    num_restarts, steps, learning_rate, jitter = fit_settings
    x_low, x_high = _as_2d(x_low), _as_2d(x_high)
    y_low = jnp.asarray(y_low, x_low.dtype).reshape(-1)
    y_high = jnp.asarray(y_high, x_high.dtype).reshape(-1)
    low = fit_gp(
        x_low,
        y_low,
        key=key,
        kernel=kernel,
        num_restarts=num_restarts,
        steps=steps,
        learning_rate=learning_rate,
        jitter=jitter,
    )
    return x_high, y_high, low


def fit_ar1(
    x_low,
    y_low,
    x_high,
    y_high,
    *,
    key: Key,
    kernel: str = "rbf",
    num_restarts: int = 8,
    steps: int = 500,
    learning_rate: float = 0.05,
    jitter: float = 1e-8,
) -> AR1GP:
    """Fit AR1 $f_H = \\rho f_L + \\delta$ recursively (Le Gratiet's two stages), all
    hyperparameters ($\\theta_L$; $\\rho$, $b$, $\\theta_\\delta$, noise) by marginal likelihood.

    **Arguments:** low- and high-fidelity inputs `(n, d)` (or `(n,)`) and targets `(n,)`;
    `key` for the random restarts; the kernel and optimisation settings of `fit_gp`.

    **Returns:** an `AR1GP`.
    """
    low_key, high_key, rho_key = jr.split(key, 3)
    x_high, y_high, low = _fit_low_fidelity(
        x_low, y_low, x_high, y_high, low_key, kernel, num_restarts, steps, learning_rate, jitter
    )
    f_low = low.predict(x_high)[0]
    # The delta GP works in units of std(y_high); rho starts near the least-squares slope.
    scale = jnp.maximum(jnp.std(y_high), 1e-12)
    slope = jnp.cov(f_low, y_high)[0, 1] / jnp.maximum(jnp.var(f_low), 1e-12)
    k = stationary(kernel)
    initial = random_stationary_params(high_key, x_high, num_restarts)
    initial["rho"] = slope * (1 + 0.3 * jr.normal(rho_key, (num_restarts,), x_high.dtype))
    initial["offset"] = jnp.full(num_restarts, jnp.mean(y_high - slope * f_low) / scale)

    def loss(p):
        residual = y_high / scale - p["rho"] * f_low / scale - p["offset"]
        return neg_log_marginal_likelihood(k, p, x_high, residual, jitter=jitter)

    params, _ = minimize_restarts(loss, initial, steps=steps, learning_rate=learning_rate)
    rho, offset = params["rho"], params["offset"] * scale
    delta = ExactGP.condition(
        k, params, x_high, y_high - rho * f_low, mean_value=offset, scale=scale, jitter=jitter
    )
    return AR1GP(low, delta, rho, offset)


def nargp_kernel(dim: int):
    """The NARGP covariance on inputs $z = (x, f)$ (`dim` columns of x, then f):
    $k_\\rho(x, x') k_f(f, f') + k_\\delta(x, x')$, squared exponentials."""
    rbf = stationary("rbf")

    def kernel(params, z1, z2):
        x1, f1, x2, f2 = z1[:, :dim], z1[:, dim:], z2[:, :dim], z2[:, dim:]
        k_rho = rbf({"log_lengthscale": params["log_lengthscale_rho"], "log_variance": 0.0}, x1, x2)
        k_f = rbf(
            {
                "log_lengthscale": params["log_lengthscale_f"],
                "log_variance": params["log_variance"],
            },
            f1,
            f2,
        )
        k_delta = rbf(
            {
                "log_lengthscale": params["log_lengthscale_delta"],
                "log_variance": params["log_variance_delta"],
            },
            x1,
            x2,
        )
        return k_rho * k_f + k_delta

    return kernel


class NARGP(eqx.Module):
    """A fitted nonlinear autoregressive two-fidelity GP (Perdikaris et al. 2017).

    `predict(x, key=..., num_samples=100)` propagates the low-fidelity posterior by Monte
    Carlo; `predict_mean_input(x)` plugs in its mean only (no propagation).
    """

    low: ExactGP
    high: ExactGP

    def predict_mean_input(self, x):
        x = _as_2d(x)
        f_low = self.low.predict(x)[0]
        return self.high.predict(jnp.concatenate([x, f_low[:, None]], axis=1))

    def predict(self, x, *, key: Key, num_samples: int = 100):
        """Mean and variance of $f_H(x)$: the moments of the mixture over `num_samples`
        draws $f_L^{(s)}(x) \\sim \\mathcal N(\\mu_L(x), \\sigma_L^2(x))$, independently per
        point (Perdikaris et al.'s eq. 2.9)."""
        x = _as_2d(x)
        mean_low, var_low = self.low.predict(x)
        draws = mean_low + jnp.sqrt(var_low) * jr.normal(key, (num_samples, x.shape[0]), x.dtype)

        def one(f_low):
            return self.high.predict(jnp.concatenate([x, f_low[:, None]], axis=1))

        means, variances = jax.lax.map(one, draws)
        mean = jnp.mean(means, axis=0)
        return mean, jnp.mean(variances, axis=0) + jnp.var(means, axis=0)


def fit_nargp(
    x_low,
    y_low,
    x_high,
    y_high,
    *,
    key: Key,
    num_restarts: int = 8,
    steps: int = 500,
    learning_rate: float = 0.05,
    jitter: float = 1e-8,
) -> NARGP:
    """Fit NARGP: a GP on the low-fidelity data, then a GP on $(x_H, \\mu_L(x_H)) \\mapsto y_H$
    with kernel $k_\\rho(x) k_f(f_L) + k_\\delta(x)$, hyperparameters by marginal likelihood
    (random restarts, as `fit_gp`).

    **Returns:** a `NARGP`.
    """
    low_key, high_key = jr.split(key)
    x_high, y_high, low = _fit_low_fidelity(
        x_low, y_low, x_high, y_high, low_key, "rbf", num_restarts, steps, learning_rate, jitter
    )
    dim = x_high.shape[1]
    f_low = low.predict(x_high)[0]
    z = jnp.concatenate([x_high, f_low[:, None]], axis=1)
    mean_value, scale = jnp.mean(y_high), jnp.maximum(jnp.std(y_high), 1e-12)
    y_tilde = (y_high - mean_value) / scale
    keys = jr.split(high_key, 3)
    rho = random_stationary_params(keys[0], x_high, num_restarts)
    f = random_stationary_params(keys[1], f_low[:, None], num_restarts)
    delta = random_stationary_params(keys[2], x_high, num_restarts)
    initial = {
        "log_lengthscale_rho": rho["log_lengthscale"],
        "log_lengthscale_f": f["log_lengthscale"],
        "log_variance": f["log_variance"],
        "log_lengthscale_delta": delta["log_lengthscale"],
        "log_variance_delta": jnp.full(num_restarts, math.log(0.1), x_high.dtype),
        "log_noise": f["log_noise"],
    }
    k = nargp_kernel(dim)
    params, _ = minimize_restarts(
        lambda p: neg_log_marginal_likelihood(k, p, z, y_tilde, jitter=jitter),
        initial,
        steps=steps,
        learning_rate=learning_rate,
    )
    high = ExactGP.condition(
        k, params, z, y_high, mean_value=mean_value, scale=scale, jitter=jitter
    )
    return NARGP(low, high)
