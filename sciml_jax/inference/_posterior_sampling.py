"""Diffusion posterior sampling: the reverse SDE of a diffusion prior, guided by a likelihood.

For data ``y = A(x_0) + noise`` and a prior learned as ``eps_theta``, the posterior's
noised marginals have the score ``grad log p_t(x | y) = grad log p_t(x) + grad log p(y | x_t)``.
The second term is intractable; diffusion posterior sampling (Chung et al. 2023) replaces
``p(y | x_t)`` by the likelihood at Tweedie's denoised estimate,

    p(y | x_t) ~ N(y; A(x0_hat(x_t)), noise^2 + v(t)),   x0_hat = (x_t - sigma eps_theta) / alpha,

and differentiates it through ``eps_theta`` and ``A`` (here a differentiable simulator).
With ``v = 0`` this is DPS's Gaussian form; with ``v(t)`` the variance of ``A(x_0)`` around
``A(x0_hat)`` at time ``t`` (Song et al. 2023's PiGDM covariance, kept diagonal) the guidance
is weak while ``x0_hat`` is still vague and tightens as it sharpens. For a prior
``N(0, I)`` and a linear ``A`` with orthogonal rows, ``v(t) = r_t^2 diag(A A^T)`` with
``r_t^2 = sigma^2 / (alpha^2 + sigma^2)`` makes the guided score exact, so the sampler then
draws the exact posterior (the unit tests' truth). `tweedie_error_variance` estimates
``v(t)`` for a learned prior and a nonlinear ``A`` from prior samples.

**References:** Chung, Kim, Mccann, Klasky & Ye, "Diffusion posterior sampling for general
noisy inverse problems", ICLR 2023; Song, Vahdat, Mardani & Kautz, "Pseudoinverse-guided
diffusion models for inverse problems", ICLR 2023.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import jax.random as jr

from .._types import Array, Float, Key
from ._diffusion import VPSDE, EpsModel, _check_sampler

__all__ = ["gaussian_log_likelihood", "sample_posterior_dps", "tweedie_error_variance"]

LogLikelihood = Callable[[Array, Array], Array]
"""`log_likelihood(x0_hat, t)`: log p(y | x_t) evaluated at the denoised field, a scalar."""


def gaussian_log_likelihood(
    forward: Callable[[Array], Array],
    observed: Float[Array, " *obs"],
    noise_std,
    error_variance: Callable[[Array], Array] | None = None,
) -> LogLikelihood:
    """The Gaussian likelihood at the denoised field, with the denoiser's error added,

    $$ \\log p(y\\mid x_t) \\approx -\\tfrac12\\sum_j
       \\frac{(y_j - A_j(\\hat x_0))^2}{s_j^2 + v_j(t)} - \\tfrac12\\sum_j\\log(s_j^2+v_j(t)). $$

    **Arguments:**

    - `forward`: ``A``, one field -> predicted observations shaped like `observed`.
    - `observed`: ``y``.
    - `noise_std`: ``s``, the observation noise's standard deviation (scalar or per entry).
    - `error_variance`: `v(t)` broadcastable to `observed`; `None` for DPS's ``v = 0``.

    **Returns:** `log_likelihood(x0_hat, t)` for `sample_posterior_dps`.
    """
    observed = jnp.asarray(observed)
    if jnp.any(jnp.asarray(noise_std) <= 0):
        raise ValueError(
            f"noise_std={noise_std}; expected a positive observation noise standard "
            "deviation (a likelihood with zero noise has no gradient to follow)."
        )

    def log_likelihood(x0_hat, t):
        variance = jnp.asarray(noise_std) ** 2
        if error_variance is not None:
            variance = variance + error_variance(t)
        residual = observed - forward(x0_hat)
        return -0.5 * jnp.sum(residual**2 / variance + jnp.log(variance))

    return log_likelihood


def tweedie_error_variance(
    eps_model: EpsModel,
    sde: VPSDE,
    forward: Callable[[Array], Array],
    fields: Float[Array, " batch *shape"],
    times: Float[Array, " times"],
    *,
    key: Key,
) -> Float[Array, " times *obs"]:
    """``v(t) = E (A(x_0) - A(x0_hat(x_t)))^2`` per observation, by Monte Carlo over
    prior fields `fields` and fresh noise at each of `times`: the variance of the
    observations around their prediction from the denoised field (the diagonal of PiGDM's
    ``A r_t^2 A^T`` for a linear ``A``, measured instead of assumed).

    **Returns:** an array ``(len(times), *obs)``, for `jnp.interp` inside `error_variance`.
    """
    truth = jax.vmap(forward)(fields)

    def at(t, k):
        x_t, _ = jax.vmap(lambda x, kk: sde.marginal(x, t, key=kk))(
            fields, jr.split(k, fields.shape[0])
        )
        x0_hat = (x_t - sde.sigma(t) * jax.vmap(eps_model, (0, None))(x_t, t)) / sde.alpha(t)
        return jnp.mean((jax.vmap(forward)(x0_hat) - truth) ** 2, axis=0)

    return jax.lax.map(lambda args: at(*args), (times, jr.split(key, len(times))))


def sample_posterior_dps(
    eps_model: EpsModel,
    sde: VPSDE,
    log_likelihood: LogLikelihood,
    shape: tuple[int, ...],
    num_samples: int,
    *,
    key: Key,
    num_steps: int = 500,
    t_min: float = 1e-3,
    guidance_scale: float = 1.0,
    time_power: float = 1.0,
    max_guidance: float | None = None,
    denoise: bool = True,
) -> Float[Array, " num_samples *shape"]:
    """Posterior fields from the likelihood-guided reverse SDE (diffusion posterior sampling),

    $$ dx = \\big[f(x,t) - g(t)^2\\big(\\nabla\\log p_t(x)
       + \\zeta\\,\\nabla_{x}\\log p(y\\mid \\hat x_0(x))\\big)\\big]dt + g(t)\\,d\\bar W, $$

    Euler-Maruyama from ``t = 1`` to `t_min` in one `lax.scan`, the likelihood's gradient
    taken through `eps_model` (Tweedie's ``x0_hat``) and the forward model by autodiff.

    **Arguments:**

    - `eps_model`, `sde`, `shape`, `num_samples`, `key`, `num_steps`, `t_min`, `denoise`:
      as `sample_reverse_sde` (the final Tweedie step is the prior's, unguided).
    - `log_likelihood`: `log_likelihood(x0_hat, t)`, e.g. `gaussian_log_likelihood`.
    - `guidance_scale`: ``zeta``; 1 follows the likelihood as written, larger values are
      the tempered guidance DPS tunes by hand (no longer a posterior).
    - `time_power`: the time grid is ``t_i = t_min + (1 - t_min)(1 - i/N)^p``; ``p > 1``
      takes shorter steps near ``t_min``, where the likelihood's curvature
      ``|J|^2 / noise^2`` makes an explicit step unstable once ``g^2 dt |J|^2 / noise^2 > 2``.
    - `max_guidance`: if given, each step's likelihood shift is scaled down so that its
      root-mean-square over the field is at most `max_guidance` times the step's noise
      standard deviation ``g sqrt(dt)``: a trust region against that instability (inactive
      where the likelihood is smooth enough, as in the linear-Gaussian tests).

    **Returns:** an array ``(num_samples, *shape)``.

    ```python
    loglik = gaussian_log_likelihood(lambda x: x[0, 2:4, 1], y, noise_std=0.1)
    fields = sample_posterior_dps(eps_model, VPSDE(), loglik, (1, 16, 16), 64, key=key)
    ```
    """
    _check_sampler(num_samples, t_min, num_steps)
    if not time_power >= 1:
        raise ValueError(f"time_power={time_power}; expected >= 1 (1: uniform time steps).")
    init_key, key = jr.split(key)
    dtype = jnp.zeros(()).dtype
    x = jr.normal(init_key, (num_samples, *shape), dtype)
    fraction = jnp.linspace(1.0, 0.0, num_steps + 1, dtype=dtype) ** time_power
    ts = t_min + (1.0 - t_min) * fraction

    def prior_and_guidance(x, t):
        def objective(x):
            eps = eps_model(x, t)
            x0_hat = (x - sde.sigma(t) * eps) / sde.alpha(t)
            return log_likelihood(x0_hat, t), eps

        grad, eps = jax.grad(objective, has_aux=True)(x)
        return -eps / sde.sigma(t), guidance_scale * grad

    scores = jax.vmap(prior_and_guidance, (0, None))

    def step(x, inputs):
        t, t_next, k = inputs
        dt = t_next - t  # negative: time runs backwards
        g2 = sde.beta(t)
        prior, guidance = scores(x, t)
        shift = g2 * -dt * guidance
        if max_guidance is not None:
            # a trust region: the explicit step of a stiff likelihood overshoots once
            # g^2 dt |J|^2 / noise^2 > 2; cap its RMS at max_guidance noise increments
            rms = jnp.sqrt(jnp.mean(shift**2, axis=tuple(range(1, x.ndim)), keepdims=True))
            shift = shift * jnp.minimum(1.0, max_guidance * jnp.sqrt(g2 * -dt) / (rms + 1e-30))
        noise = jr.normal(k, x.shape, x.dtype)
        x = x + (sde.drift(x, t) - g2 * prior) * dt + shift + jnp.sqrt(g2 * -dt) * noise
        return x, None

    x, _ = jax.lax.scan(step, x, (ts[:-1], ts[1:], jr.split(key, num_steps)))
    if not denoise:
        return x
    t = ts[-1]
    return (x - sde.sigma(t) * jax.vmap(eps_model, (0, None))(x, t)) / sde.alpha(t)
