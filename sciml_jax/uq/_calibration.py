"""Calibration diagnostics: is a predictive distribution's stated probability the observed
frequency?

- Coverage curve: for nominal levels $p$, the fraction of outcomes inside the central
  $p$-interval $\\mu \\pm \\Phi^{-1}(\\tfrac{1+p}2)\\sigma$; calibrated means on the diagonal.
- Quantile reliability (Kuleshov et al. 2018): the fraction of probability integral
  transforms $F(y) = \\Phi((y-\\mu)/\\sigma)$ at most $p$; calibrated means the PIT is
  uniform, the curve on the diagonal.
- Binned reliability of probability forecasts (exceedance probabilities $P(Y > y^*)$): in
  each bin of forecast probability, the mean forecast against the observed frequency.

Pure `jnp`; `sciml_jax.viz.plot_coverage_curve` and `plot_reliability_diagram` draw them.
"""

import jax.numpy as jnp
from jax.scipy.special import ndtr, ndtri

from .._types import Array, Float


def nominal_levels(num: int = 19) -> Float[Array, " num"]:
    """Evenly spaced levels strictly inside (0, 1): 0.05, 0.10, ..., 0.95 for `num=19`."""
    return jnp.arange(1, num + 1) / (num + 1)


def interval_coverage(y, lower, upper) -> Float[Array, ""]:
    """Fraction of `y` inside `[lower, upper]` (all elements)."""
    return jnp.mean((y >= lower) & (y <= upper))


def gaussian_coverage_curve(y, mean, std, levels=None):
    """Empirical coverage of the central Gaussian intervals at each nominal level.

    **Arguments:** outcomes `y`, predictive `mean`, `std` (same shape); `levels` in (0, 1)
    (default `nominal_levels()`).

    **Returns:** `(levels, empirical)`, both `(num_levels,)`.
    """
    levels = nominal_levels() if levels is None else jnp.asarray(levels)
    z = jnp.abs(y - mean) / std
    half = ndtri((1 + levels) / 2)
    empirical = jnp.mean(z.reshape(-1)[None, :] <= half[:, None], axis=1)
    return levels, empirical


def interval_coverage_curve(y, interval_fn, levels=None):
    """Empirical coverage of any interval family: `interval_fn(level) -> (lower, upper)`
    (e.g. conformal intervals at each confidence level). Returns `(levels, empirical)`."""
    levels = nominal_levels() if levels is None else jnp.asarray(levels)
    empirical = jnp.stack([interval_coverage(y, *interval_fn(float(p))) for p in levels])
    return levels, empirical


def quantile_calibration_curve(y, mean, std, levels=None):
    """Kuleshov et al.'s calibration curve: observed fraction of $\\Phi((y-\\mu)/\\sigma) \\le p$
    at each expected level $p$. Returns `(levels, observed)`."""
    levels = nominal_levels() if levels is None else jnp.asarray(levels)
    pit = ndtr((y - mean) / std).reshape(-1)
    return levels, jnp.mean(pit[None, :] <= levels[:, None], axis=1)


def calibration_error(levels, empirical) -> Float[Array, ""]:
    """Mean absolute gap between a calibration curve and the diagonal."""
    return jnp.mean(jnp.abs(jnp.asarray(empirical) - jnp.asarray(levels)))


def reliability_curve(probability, outcome, num_bins: int = 10):
    """Binned reliability of probability forecasts for a binary event.

    **Returns:** `(mean_forecast, observed_frequency, count)`, each `(num_bins,)`; bins with
    no forecasts hold NaN (and count 0).
    """
    p = jnp.asarray(probability).reshape(-1)
    o = jnp.asarray(outcome, p.dtype).reshape(-1)
    index = jnp.clip((p * num_bins).astype(jnp.int32), 0, num_bins - 1)
    count = jnp.zeros(num_bins).at[index].add(1.0)
    safe = jnp.maximum(count, 1.0)
    mean_forecast = jnp.zeros(num_bins).at[index].add(p) / safe
    frequency = jnp.zeros(num_bins).at[index].add(o) / safe
    empty = count == 0
    return jnp.where(empty, jnp.nan, mean_forecast), jnp.where(empty, jnp.nan, frequency), count
