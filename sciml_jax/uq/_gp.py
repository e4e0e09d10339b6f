"""Exact Gaussian-process regression by Cholesky, hyperparameters by marginal likelihood.

$$ f \\sim \\mathcal{GP}(m, k_\\theta), \\quad y = f(x) + \\varepsilon, \\ \\varepsilon \\sim
   \\mathcal N(0, \\sigma_n^2): \\qquad
   \\mu_*(x) = m + k_*^\\top (K + \\sigma_n^2 I)^{-1} (y - m), \\quad
   \\sigma_*^2(x) = k(x, x) - k_*^\\top (K + \\sigma_n^2 I)^{-1} k_* $$

and the log marginal likelihood maximised over $\\theta$ (Rasmussen and Williams 2006,
alg. 2.1, eq. 5.8)

$$ \\log p(y \\mid \\theta) = -\\tfrac12 y^\\top K_y^{-1} y - \\sum_i \\log L_{ii}
   - \\tfrac n2 \\log 2\\pi, \\qquad K_y = L L^\\top. $$

Why our own ~200 lines and not GPJax 1.0 or tinygp 0.3.1 (both install on jax 0.10.2):
the multi-fidelity models (`_multifidelity.py`) need kernels on augmented inputs
$(x, f_L(x))$, hyperparameters shared across a product-plus-sum kernel, a learned scale
$\\rho$ outside any kernel, and many random restarts vmapped in one compiled optimisation.
tinygp's kernels would do (its API is still 0.x) but its fitting is left to the user anyway;
GPJax 1.0 brings numpyro, paramax, beartype and rich as new dependencies and its own
parameter/optimisation framework. Exact GPs on tens to thousands of points are one Cholesky,
so we keep them here, in plain `jnp`, with no dependency.

Conventions: hyperparameters live in log space (`log_lengthscale` per input dimension,
`log_variance`, `log_noise`) in a dict PyTree; targets are standardised (constant mean
= data mean, unit scale) before fitting; a relative jitter keeps the Cholesky of
noise-free data positive definite. **Use float64** (`jax.config.update("jax_enable_x64",
True)`, or `precision: float64` in a config): in float32 the Cholesky of a smooth kernel on
a dozen points already loses most digits.
"""

import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import optax

from .._types import Array, Float, Key

# log hyperparameters are clipped to a box wide enough for standardised data; outside it
# the Cholesky of K fails long before the optimum is anywhere near.
_LOG_BOUND = 12.0


def _scaled_sq_distance(x1, x2, lengthscale):
    d = (x1[:, None, :] - x2[None, :, :]) / lengthscale
    return jnp.sum(d**2, axis=-1)


def rbf_kernel(x1, x2, lengthscale, variance):
    """Squared exponential $k(x, x') = \\sigma^2 \\exp(-\\tfrac12 \\|(x - x')/\\ell\\|^2)$;
    `x1`: `(n, d)`, `x2`: `(m, d)`, `lengthscale`: `(d,)` or scalar. Returns `(n, m)`."""
    return variance * jnp.exp(-0.5 * _scaled_sq_distance(x1, x2, lengthscale))


def matern52_kernel(x1, x2, lengthscale, variance):
    """Matern 5/2: $\\sigma^2 (1 + \\sqrt5 r + \\tfrac53 r^2) e^{-\\sqrt5 r}$,
    $r = \\|(x-x')/\\ell\\|$."""
    r = jnp.sqrt(jnp.maximum(_scaled_sq_distance(x1, x2, lengthscale), 1e-30))
    s = math.sqrt(5.0) * r
    return variance * (1 + s + s**2 / 3) * jnp.exp(-s)


def matern32_kernel(x1, x2, lengthscale, variance):
    """Matern 3/2: $\\sigma^2 (1 + \\sqrt3 r) e^{-\\sqrt3 r}$."""
    r = jnp.sqrt(jnp.maximum(_scaled_sq_distance(x1, x2, lengthscale), 1e-30))
    s = math.sqrt(3.0) * r
    return variance * (1 + s) * jnp.exp(-s)


KERNELS: dict[str, Callable] = {
    "rbf": rbf_kernel,
    "matern52": matern52_kernel,
    "matern32": matern32_kernel,
}


def stationary(name: str) -> Callable:
    """The covariance `k(params, x1, x2)` of the named stationary kernel with hyperparameters
    `params["log_lengthscale"]` `(d,)` and `params["log_variance"]`."""
    if name not in KERNELS:
        raise ValueError(f"kernel must be one of {sorted(KERNELS)}; got {name!r}.")
    base = KERNELS[name]

    def kernel(params, x1, x2):
        return base(x1, x2, _exp(params["log_lengthscale"]), _exp(params["log_variance"]))

    kernel.__name__ = f"stationary_{name}"
    return kernel


def _exp(log_value):
    return jnp.exp(jnp.clip(log_value, -_LOG_BOUND, _LOG_BOUND))


def _noise(params):
    return _exp(params["log_noise"])


def neg_log_marginal_likelihood(kernel, params, x, y, *, jitter: float = 1e-8):
    """$-\\log p(y \\mid x, \\theta)$ of a zero-mean GP with covariance `kernel(params, x, x)`
    plus noise variance `exp(params["log_noise"])` and `jitter` (relative to the mean
    diagonal). `x`: `(n, d)`, `y`: `(n,)`."""
    gram = kernel(params, x, x)
    diag = _noise(params) + jitter * jnp.mean(jnp.diag(gram))
    return _gaussian_nll(gram + diag * jnp.eye(x.shape[0], dtype=gram.dtype), y)


@jax.custom_vjp
def _gaussian_nll(cov, y):
    """$\\tfrac12 y^\\top C^{-1} y + \\tfrac12 \\log\\det C + \\tfrac n2 \\log 2\\pi$."""
    return _gaussian_nll_fwd(cov, y)[0]


def _gaussian_nll_fwd(cov, y):
    chol = jnp.linalg.cholesky(cov)
    alpha = jax.scipy.linalg.cho_solve((chol, True), y)
    n = y.shape[0]
    value = 0.5 * y @ alpha + jnp.sum(jnp.log(jnp.diag(chol))) + 0.5 * n * math.log(2 * math.pi)
    return value, (chol, alpha)


def _gaussian_nll_bwd(residuals, g):
    # d/dC = (C^-1 - alpha alpha^T) / 2 (Rasmussen and Williams eq. 5.9): one solve against
    # the identity, ~10x cheaper on CPU than differentiating through the Cholesky.
    chol, alpha = residuals
    inverse = jax.scipy.linalg.cho_solve((chol, True), jnp.eye(chol.shape[0], dtype=chol.dtype))
    return g * 0.5 * (inverse - jnp.outer(alpha, alpha)), g * alpha


_gaussian_nll.defvjp(_gaussian_nll_fwd, _gaussian_nll_bwd)


def _factor(kernel, params, x, y, jitter):
    gram = kernel(params, x, x)
    diag = _noise(params) + jitter * jnp.mean(jnp.diag(gram))
    chol = jnp.linalg.cholesky(gram + diag * jnp.eye(x.shape[0], dtype=gram.dtype))
    alpha = jax.scipy.linalg.cho_solve((chol, True), y)
    return chol, alpha


def minimize_restarts(loss_fn, initial, *, steps: int = 500, learning_rate: float = 0.05):
    """Minimise `loss_fn(params)` from each of a batch of starting points (leading axis of
    every leaf of `initial`) by Adam in one vmapped `lax.scan`; returns the best final
    parameters (non-finite losses lose) and their loss."""
    optimizer = optax.adam(learning_rate)
    value_and_grad = jax.value_and_grad(loss_fn)

    def run(params):
        def step(carry, _):
            params, state = carry
            value, grad = value_and_grad(params)
            grad = jax.tree.map(lambda g: jnp.where(jnp.isfinite(g), g, 0.0), grad)
            updates, state = optimizer.update(grad, state, params)
            return (optax.apply_updates(params, updates), state), value

        (params, _), _ = jax.lax.scan(step, (params, optimizer.init(params)), None, length=steps)
        return params, loss_fn(params)

    params, losses = jax.jit(jax.vmap(run))(initial)
    losses = jnp.where(jnp.isfinite(losses), losses, jnp.inf)
    best = jnp.argmin(losses)
    return jax.tree.map(lambda leaf: leaf[best], params), losses[best]


class ExactGP(eqx.Module):
    """A fitted exact GP posterior: `predict(x) -> (mean, variance)` of the latent $f$.

    Targets were standardised: $y = m + s\\, \\tilde y$, the GP on $\\tilde y$.
    Build one with `fit_gp` (or `ExactGP.condition` for given hyperparameters).
    """

    kernel: Callable = eqx.field(static=True)
    params: dict
    x: Float[Array, "n d"]
    chol: Float[Array, "n n"]
    alpha: Float[Array, " n"]
    mean_value: Float[Array, ""]
    scale: Float[Array, ""]

    @classmethod
    def condition(cls, kernel, params, x, y, *, mean_value=0.0, scale=1.0, jitter=1e-8):
        """The posterior given hyperparameters, for targets `y` in data units (the GP is on
        `(y - mean_value) / scale`)."""
        y_tilde = (y - mean_value) / scale
        chol, alpha = _factor(kernel, params, x, y_tilde, jitter)
        dtype = x.dtype
        return cls(
            kernel,
            params,
            x,
            chol,
            alpha,
            jnp.asarray(mean_value, dtype),
            jnp.asarray(scale, dtype),
        )

    @property
    def noise_variance(self):
        """The fitted noise variance in data units."""
        return _noise(self.params) * self.scale**2

    def predict(self, x, *, include_noise: bool = False):
        """Posterior mean and variance at `x` `(m, d)`; `include_noise` adds the noise
        variance (the predictive of a new observation)."""
        cross = self.kernel(self.params, self.x, x)  # (n, m)
        mean = self.mean_value + self.scale * cross.T @ self.alpha
        v = jax.scipy.linalg.solve_triangular(self.chol, cross, lower=True)
        prior = jax.vmap(lambda p: self.kernel(self.params, p[None], p[None])[0, 0])(x)
        variance = jnp.maximum(prior - jnp.sum(v**2, axis=0), 0.0)
        if include_noise:
            variance = variance + _noise(self.params)
        return mean, self.scale**2 * variance


def random_stationary_params(key: Key, x, num: int, *, noise: float = 1e-4):
    """`num` random starting points for a stationary kernel on inputs `x` `(n, d)`:
    lengthscales log-uniform in [0.05, 2] x the input std per dimension, unit variance,
    noise variance `noise` (standardised units)."""
    spread = jnp.maximum(jnp.std(x, axis=0), 1e-6)
    u = jr.uniform(key, (num, x.shape[1]), dtype=x.dtype)
    log_ls = jnp.log(spread) + jnp.log(0.05) + u * (jnp.log(2.0) - jnp.log(0.05))
    return {
        "log_lengthscale": log_ls,
        "log_variance": jnp.zeros(num, x.dtype),
        "log_noise": jnp.full(num, math.log(noise), x.dtype),
    }


def fit_gp(
    x,
    y,
    *,
    key: Key,
    kernel: str = "rbf",
    num_restarts: int = 8,
    steps: int = 500,
    learning_rate: float = 0.05,
    jitter: float = 1e-8,
) -> ExactGP:
    """Fit an exact GP: standardise `y`, maximise the log marginal likelihood over log
    lengthscales (one per input dimension), log variance and log noise from `num_restarts`
    random starts, and condition on the data.

    **Arguments:**

    - `x`: inputs `(n, d)` (or `(n,)` for one dimension); `y`: targets `(n,)`.
    - `key`: for the random restarts (keyword-only).
    - `kernel`: `"rbf"`, `"matern52"` or `"matern32"`.
    - `num_restarts`, `steps`, `learning_rate`: the vmapped Adam optimisation.
    - `jitter`: added to the diagonal, relative to the prior variance.

    **Returns:** an `ExactGP`; `gp.predict(x_new)` gives `(mean, variance)`.

    ```python
    jax.config.update("jax_enable_x64", True)
    gp = fit_gp(x, y, key=jr.key(0))
    mean, var = gp.predict(x_test)
    ```
    """
    x = _as_2d(x)
    y = jnp.asarray(y, x.dtype).reshape(-1)
    mean_value, scale = jnp.mean(y), jnp.maximum(jnp.std(y), 1e-12)
    y_tilde = (y - mean_value) / scale
    k = stationary(kernel)
    initial = random_stationary_params(key, x, num_restarts)
    params, _ = minimize_restarts(
        lambda p: neg_log_marginal_likelihood(k, p, x, y_tilde, jitter=jitter),
        initial,
        steps=steps,
        learning_rate=learning_rate,
    )
    return ExactGP.condition(k, params, x, y, mean_value=mean_value, scale=scale, jitter=jitter)


def _as_2d(x):
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(float)
    return x[:, None] if x.ndim == 1 else x
