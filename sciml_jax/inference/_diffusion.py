"""Score-based diffusion priors for fields: the VP SDE, denoising score matching, samplers.

The variance-preserving SDE of Song et al. (2021) noises data ``x_0`` towards ``N(0, I)``,

    dx = -1/2 beta(t) x dt + sqrt(beta(t)) dW,   beta(t) = beta_min + t (beta_max - beta_min),

whose marginal is Gaussian in closed form, ``x_t = alpha(t) x_0 + sigma(t) eps`` with

    alpha(t) = exp(-1/2 int_0^t beta) = exp(-t^2 (beta_max - beta_min) / 4 - t beta_min / 2),
    sigma(t)^2 = 1 - alpha(t)^2.

A network ``eps_theta(x_t, t)`` trained to predict ``eps`` (Ho et al. 2020's simple loss)
gives the score ``grad log p_t(x) = -eps_theta(x, t) / sigma(t)``, and new fields come from
the reverse SDE (Euler-Maruyama, `sample_reverse_sde`) or from the probability-flow ODE
``dx/dt = -1/2 beta(t) (x + score)`` (diffrax, `sample_probability_flow`).

**References:** Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole, "Score-based generative
modeling through stochastic differential equations", ICLR 2021; Ho, Jain & Abbeel,
"Denoising diffusion probabilistic models", NeurIPS 2020.
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from .._types import Array, Float, Key
from ..sim import solve_ode

__all__ = [
    "VPSDE",
    "TimeConditioned",
    "denoising_score_matching",
    "dsm_loss",
    "radial_power_spectrum",
    "sample_probability_flow",
    "sample_reverse_sde",
    "spectrum_errors",
]

EpsModel = Callable[[Array, Array], Array]
"""`eps_model(x, t)`: one unbatched field ``x`` and a scalar time -> predicted noise."""


class VPSDE(eqx.Module):
    """The variance-preserving SDE with a linear noise schedule (Song et al. 2021, eq. 11).

    $$ dx = -\\tfrac12\\beta(t)\\,x\\,dt + \\sqrt{\\beta(t)}\\,dW,\\qquad
       \\beta(t) = \\beta_{\\min} + t(\\beta_{\\max}-\\beta_{\\min}),\\ t\\in[0, 1] $$

    **Arguments:**

    - `beta_min`, `beta_max`: the schedule's ends (Song et al.: 0.1 and 20, so that
      ``alpha(1) = 6.7e-3`` and ``x_1`` is standard normal to that accuracy).

    **Returns:** `beta(t)`, `alpha(t)`, `sigma(t)` (marginal mean factor and standard
    deviation), `drift(x, t)`, `diffusion(t)` and `marginal(x0, t, key=...)`.

    ```python
    sde = VPSDE()
    x_t, eps = sde.marginal(x0, 0.5, key=jr.key(0))   # x_t = alpha x0 + sigma eps
    ```
    """

    beta_min: float = eqx.field(static=True, default=0.1)
    beta_max: float = eqx.field(static=True, default=20.0)

    def __check_init__(self):
        if not 0 < self.beta_min <= self.beta_max:
            raise ValueError(
                f"VPSDE(beta_min={self.beta_min}, beta_max={self.beta_max}); expected "
                "0 < beta_min <= beta_max, e.g. VPSDE(0.1, 20.0)."
            )

    def beta(self, t):
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def log_alpha(self, t):
        return -0.25 * t**2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min

    def alpha(self, t):
        return jnp.exp(self.log_alpha(t))

    def sigma(self, t):
        # -expm1 keeps sigma accurate at small t, where 1 - alpha^2 ~ beta_min t cancels
        return jnp.sqrt(-jnp.expm1(2 * self.log_alpha(t)))

    def drift(self, x, t):
        return -0.5 * self.beta(t) * x

    def diffusion(self, t):
        return jnp.sqrt(self.beta(t))

    def marginal(self, x0, t, *, key: Key):
        """``(x_t, eps)`` with ``x_t = alpha(t) x0 + sigma(t) eps``, ``eps ~ N(0, I)``."""
        eps = jr.normal(key, jnp.shape(x0), jnp.result_type(x0))
        return self.alpha(t) * x0 + self.sigma(t) * eps, eps


class TimeConditioned(eqx.Module):
    """A grid network made time-conditioned by constant time-embedding input channels.

    Our `UNet` and `FNO` map ``(channels, *grid)`` fields and have no hook for a time
    embedding (no FiLM or additive bias per block), so the embedding enters as extra input
    channels, each constant over the grid: the sinusoidal features of DDPM,

    $$ \\phi(t) = [\\sin(1000\\,t\\,\\omega_j),\\ \\cos(1000\\,t\\,\\omega_j)]_{j<F},
       \\qquad \\omega_j = 10^{-4 j / F}, $$

    whose high frequencies resolve the small times where the noise level changes fastest.

    **Arguments:**

    - `net`: a grid network with ``channels + 2 * num_frequencies`` input channels and
      ``channels`` outputs (e.g. `sciml_jax.nn.UNet`).
    - `num_frequencies`: F.
    - `skip`: a `VPSDE`, to predict ``sigma(t) x + net(...)`` (a skip connection exact for
      unit-variance white data) instead of ``net(...)``; `None` (default) for no skip.

    **Returns:** `__call__(x, t)` maps one field ``(channels, *grid)`` and a scalar time to
    the predicted noise of the same shape.

    ```python
    net = UNet(1 + 16, 1, hidden_channels=16, num_levels=2, num_spatial_dims=2, key=key)
    eps_model = TimeConditioned(net, num_frequencies=8)
    eps_model(jnp.zeros((1, 16, 16)), 0.5).shape   # (1, 16, 16)
    ```
    """

    net: eqx.Module
    num_frequencies: int = eqx.field(static=True)
    skip: VPSDE | None = None

    def embedding(self, t) -> Float[Array, " features"]:
        omega = 10.0 ** (-4.0 * jnp.arange(self.num_frequencies) / self.num_frequencies)
        phase = 1000.0 * jnp.asarray(t, jnp.zeros(()).dtype) * omega
        return jnp.concatenate([jnp.sin(phase), jnp.cos(phase)])

    def __call__(self, x: Float[Array, " channels *grid"], t) -> Float[Array, " channels *grid"]:
        features = self.embedding(t).astype(x.dtype)
        channels = jnp.broadcast_to(
            features.reshape((-1,) + (1,) * (x.ndim - 1)), (features.size,) + x.shape[1:]
        )
        out = self.net(jnp.concatenate([x, channels], axis=0))
        # eps = sigma x is the exact predictor for unit-variance white data: with it as a
        # skip the net learns a residual, and modes it cannot see (the spatial mean, which
        # GroupNorm removes) keep a contracting score instead of being amplified ~1/alpha(1)
        return out if self.skip is None else out + self.skip.sigma(t) * x


def denoising_score_matching(
    eps_model: EpsModel, x0: Float[Array, " batch *shape"], *, sde: VPSDE, t_min: float, key: Key
) -> Float[Array, ""]:
    """The denoising score-matching loss in its epsilon form (Ho et al.'s simple loss),

    $$ L = \\mathbb E_{t\\sim U(t_{\\min},1)}\\,\\mathbb E_{x_0,\\epsilon}
       \\ \\tfrac1D\\|\\epsilon_\\theta(\\alpha_t x_0 + \\sigma_t\\epsilon, t) - \\epsilon\\|^2 $$

    averaged over the batch and the ``D`` entries of a field. Its minimiser is
    ``E[eps | x_t]``; for ``x_0 ~ N(0, diag(c))`` that is ``sigma x_t / (alpha^2 c + sigma^2)``
    and the minimum is ``E_t mean_i alpha^2 c_i / (alpha^2 c_i + sigma^2)``.

    **Arguments:** `eps_model(x, t)` (unbatched), a batch `x0`, the `sde`, the smallest time
    `t_min` and a `key` for the times and the noise.

    **Returns:** the scalar loss.
    """
    t_key, noise_key = jr.split(key)
    n = x0.shape[0]
    t = jr.uniform(t_key, (n,), x0.dtype, minval=t_min, maxval=1.0)
    x_t, eps = jax.vmap(lambda x, s, k: sde.marginal(x, s, key=k))(x0, t, jr.split(noise_key, n))
    return jnp.mean((jax.vmap(eps_model)(x_t, t) - eps) ** 2)


def dsm_loss(sde: VPSDE | None = None, *, t_min: float = 1e-3, field: str = "x"):
    """`loss_fn(model, batch, key)` for `sciml_jax.train.fit`: `denoising_score_matching`
    on `batch[field]`, a ``(batch, channels, *grid)`` array of clean fields.

    ```python
    fit(TimeConditioned(net, 8), dsm_loss(VPSDE()), config.train, key=key,
        sampler=MinibatchSampler({"x": fields}, batch_size=64))
    ```
    """
    sde = VPSDE() if sde is None else sde
    if not 0 < t_min < 1:
        raise ValueError(f"t_min={t_min}; expected 0 < t_min < 1, e.g. 1e-3.")

    def loss_fn(model, batch, key):
        return denoising_score_matching(model, batch[field], sde=sde, t_min=t_min, key=key)

    return loss_fn


def _check_sampler(num_samples, t_min, num_steps=1):
    if num_samples < 1 or num_steps < 1 or not 0 < t_min < 1:
        raise ValueError(
            f"num_samples={num_samples}, num_steps={num_steps}, t_min={t_min}; expected "
            "num_samples >= 1, num_steps >= 1 and 0 < t_min < 1."
        )


def _tweedie(eps_model, sde, x, t):
    """The posterior mean ``E[x_0 | x_t] = (x_t - sigma eps) / alpha`` (Tweedie)."""
    return (x - sde.sigma(t) * jax.vmap(eps_model, (0, None))(x, t)) / sde.alpha(t)


def sample_reverse_sde(
    eps_model: EpsModel,
    sde: VPSDE,
    shape: tuple[int, ...],
    num_samples: int,
    *,
    key: Key,
    num_steps: int = 500,
    t_min: float = 1e-3,
    denoise: bool = True,
) -> Float[Array, " num_samples *shape"]:
    """Fields from the reverse-time SDE (Anderson 1982; Song et al. 2021, eq. 6),

    $$ dx = [f(x,t) - g(t)^2 \\nabla\\log p_t(x)]\\,dt + g(t)\\,d\\bar W,
       \\qquad \\nabla\\log p_t = -\\epsilon_\\theta(x,t)/\\sigma(t), $$

    integrated by Euler-Maruyama from ``t = 1`` (``x ~ N(0, I)``) to ``t_min`` on a uniform
    grid of `num_steps` steps, in one `lax.scan`.

    **Arguments:**

    - `eps_model`: `eps_model(x, t)` on one field of `shape`.
    - `sde`: the `VPSDE` it was trained with.
    - `shape`: one field's shape, e.g. ``(1, 16, 16)``.
    - `num_samples`: fields drawn (the model is vmapped over them).
    - `key`: the initial noise and the Brownian increments.
    - `num_steps`: Euler-Maruyama steps (weak order 1: the bias falls like 1/num_steps).
    - `t_min`: where the integration stops; the marginal there still has noise of standard
      deviation ``sigma(t_min)``.
    - `denoise`: replace the last state by Tweedie's ``E[x_0 | x_{t_min}]``, which removes
      that residual noise (it matters for the weak high-wavenumber modes of smooth fields).

    **Returns:** an array ``(num_samples, *shape)``.
    """
    _check_sampler(num_samples, t_min, num_steps)
    init_key, key = jr.split(key)
    dtype = jnp.zeros(()).dtype
    x = jr.normal(init_key, (num_samples, *shape), dtype)
    ts = jnp.linspace(1.0, t_min, num_steps + 1, dtype=dtype)
    score = jax.vmap(eps_model, (0, None))

    def step(x, inputs):
        t, t_next, k = inputs
        dt = t_next - t  # negative: time runs backwards
        g2 = sde.beta(t)
        drift = sde.drift(x, t) + g2 * score(x, t) / sde.sigma(t)
        noise = jr.normal(k, x.shape, x.dtype)
        return x + drift * dt + jnp.sqrt(g2 * -dt) * noise, None

    x, _ = jax.lax.scan(step, x, (ts[:-1], ts[1:], jr.split(key, num_steps)))
    return _tweedie(eps_model, sde, x, ts[-1]) if denoise else x


def sample_probability_flow(
    eps_model: EpsModel,
    sde: VPSDE,
    shape: tuple[int, ...],
    num_samples: int,
    *,
    key: Key,
    t_min: float = 1e-3,
    solver: str = "tsit5",
    rtol: float = 1e-5,
    atol: float = 1e-5,
    denoise: bool = True,
) -> Float[Array, " num_samples *shape"]:
    """Fields from the probability-flow ODE (Song et al. 2021, eq. 13), through diffrax,

    $$ \\frac{dx}{dt} = f(x,t) - \\tfrac12 g(t)^2\\nabla\\log p_t(x)
       = -\\tfrac12\\beta(t)\\big(x - \\epsilon_\\theta(x,t)/\\sigma(t)\\big), $$

    from ``x_1 ~ N(0, I)`` backwards to ``t_min`` with an adaptive solver: the same
    marginals as the reverse SDE, a deterministic map of the initial noise.

    **Arguments:** as `sample_reverse_sde`, with `solver`, `rtol`, `atol` passed to
    `sciml_jax.sim.solve_ode` in place of `num_steps`. The batch is one ODE state, so all
    samples share one step-size sequence (one solve instead of `num_samples` while-loops).

    **Returns:** an array ``(num_samples, *shape)``.
    """
    _check_sampler(num_samples, t_min)
    dtype = jnp.zeros(()).dtype
    x1 = jr.normal(key, (num_samples, *shape), dtype)
    score = jax.vmap(eps_model, (0, None))

    def vector_field(t, x, args):
        return -0.5 * sde.beta(t) * (x - score(x, t) / sde.sigma(t))

    solution = solve_ode(vector_field, x1, 1.0, t_min, solver=solver, rtol=rtol, atol=atol)
    x = solution.ys[-1]
    return _tweedie(eps_model, sde, x, jnp.asarray(t_min, dtype)) if denoise else x


def radial_power_spectrum(
    fields: Float[Array, " batch *grid"],
) -> tuple[np.ndarray, np.ndarray]:
    """The radially averaged power spectrum of periodic fields on the unit cube.

    With Fourier coefficients ``c_k = fftn(u)_k / n^d`` (so ``u = sum_k c_k e^{2 pi i k.x}``)
    the band ``m`` holds the integer wave-vectors with ``round(|k|) = m``, and its power is
    the mean of ``|c_k|^2`` over the band and the batch: the mean eigenvalue
    ``lambda_k`` of the covariance for a stationary field.

    **Returns:** `(bands, power)`, two arrays of length ``floor(sqrt(d) n / 2) + 1``.
    """
    fields = np.asarray(fields, np.float64)
    grid = fields.shape[1:]
    coeffs = np.fft.fftn(fields, axes=tuple(range(1, fields.ndim))) / np.prod(grid)
    power = np.mean(np.abs(coeffs) ** 2, axis=0)
    return _band_average(power)


def _band_average(power: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ks = np.meshgrid(*[np.fft.fftfreq(n, 1.0 / n) for n in power.shape], indexing="ij")
    band = np.rint(np.sqrt(sum(k**2 for k in ks))).astype(int).ravel()
    counts = np.bincount(band)
    sums = np.bincount(band, weights=power.ravel())
    keep = counts > 0
    return np.arange(counts.size)[keep], sums[keep] / counts[keep]


def spectrum_errors(
    fields: Float[Array, " batch *grid"], eigenvalues: np.ndarray, *, max_band: int | None = None
) -> dict[str, np.ndarray | float]:
    """Samples' radially averaged power spectrum against a stationary covariance's.

    **Arguments:** periodic `fields` ``(batch, *grid)``; the covariance `eigenvalues`
    ``lambda_k`` on the FFT grid (`GaussianRandomField.eigenvalues()` times the square of
    any rescaling); `max_band`, the last band counted in the summary (default ``n / 2``,
    the bands a grid of ``n`` points resolves along an axis).

    **Returns:** a dict of `bands`, `power` (samples), `true_power`, `rel_error`
    (``power / true_power - 1`` per band), `max_abs_rel_error` over bands ``0..max_band``,
    `variance` (mean pointwise variance of the samples) and `true_variance`
    (``sum_k lambda_k``).
    """
    fields = np.asarray(fields, np.float64)
    if fields.shape[1:] != np.shape(eigenvalues):
        raise ValueError(
            f"fields of shape {fields.shape} against eigenvalues of shape "
            f"{np.shape(eigenvalues)}; expected (batch, *grid) with grid equal to the "
            "eigenvalues' shape (the generator's num_modes equal to num_points)."
        )
    bands, power = radial_power_spectrum(fields)
    _, true_power = _band_average(np.asarray(eigenvalues, np.float64))
    rel = power / true_power - 1.0
    max_band = min(fields.shape[1:]) // 2 if max_band is None else max_band
    return {
        "bands": bands,
        "power": power,
        "true_power": true_power,
        "rel_error": rel,
        "max_abs_rel_error": float(np.max(np.abs(rel[bands <= max_band]))),
        "variance": float(np.mean(np.var(fields, axis=0))),
        "true_variance": float(np.sum(eigenvalues)),
    }
