"""Conformal prediction: the split-conformal guarantee measured over 200 random
calibration/test splits (vmapped), for split, normalised and CQR intervals and for
simultaneous function bands; the too-small calibration set; wrappers equal the core."""

import math

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax import uq

ALPHA = 0.1
NUM_CAL = 39  # small n: the 1/(n+1) window is wide and an off-by-one rank shows (35/40 < 0.9)
NUM_SPLITS = 200


def _heteroscedastic_data(key, num=300):
    """y = sin(3x) + (0.1 + 0.4|x|) eps; an imperfect mean, scale and quantile model."""
    kx, ke = jr.split(key)
    x = jr.uniform(kx, (num,), minval=-1.0, maxval=1.0)
    sigma = 0.1 + 0.4 * jnp.abs(x)
    y = jnp.sin(3 * x) + sigma * jr.normal(ke, (num,))
    prediction = 0.9 * jnp.sin(3 * x)
    scale = 0.15 + 0.3 * jnp.abs(x)  # a rough, not exact, predicted std
    lower, upper = prediction - 1.2 * scale, prediction + 1.5 * scale
    return y, prediction, scale, lower, upper


def _coverage_over_splits(interval_fn, arrays, key):
    """Coverage on the test part of NUM_SPLITS random permutations (vmapped): `arrays` are
    permuted together, the first NUM_CAL calibrate `interval_fn(cal, test) -> (lo, hi)`."""
    num = arrays[0].shape[0]

    def one(key):
        order = jr.permutation(key, num)
        cal = [a[order[:NUM_CAL]] for a in arrays]
        test = [a[order[NUM_CAL:]] for a in arrays]
        lower, upper = interval_fn(cal, test)
        return jnp.mean((test[0] >= lower) & (test[0] <= upper))

    coverage = jax.jit(jax.vmap(one))(jr.split(key, NUM_SPLITS))
    return float(jnp.mean(coverage)), float(jnp.std(coverage) / math.sqrt(NUM_SPLITS))


def _assert_guarantee(mean, se, n, *, upper_slack=1.0):
    """1 - a <= coverage <= 1 - a + upper_slack/(n + 1), each side allowing 3 standard errors."""
    low, high = 1 - ALPHA, 1 - ALPHA + upper_slack / (n + 1)
    assert low - 3 * se <= mean <= high + 3 * se, (mean, se, low, high)


def test_split_coverage_over_splits(getkey):
    y, pred, *_ = _heteroscedastic_data(getkey())
    mean, se = _coverage_over_splits(
        lambda c, t: uq.split_interval(c[0], c[1], t[1], alpha=ALPHA), (y, pred), getkey()
    )
    _assert_guarantee(mean, se, NUM_CAL)


def test_normalized_coverage_over_splits(getkey):
    y, pred, scale, *_ = _heteroscedastic_data(getkey())
    mean, se = _coverage_over_splits(
        lambda c, t: uq.normalized_interval(c[0], c[1], c[2], t[1], t[2], alpha=ALPHA),
        (y, pred, scale),
        getkey(),
    )
    _assert_guarantee(mean, se, NUM_CAL)


@pytest.mark.parametrize("symmetric", [True, False])
def test_cqr_coverage_over_splits(getkey, symmetric):
    y, _, _, lower, upper = _heteroscedastic_data(getkey())
    mean, se = _coverage_over_splits(
        lambda c, t: uq.cqr_interval(
            c[0], c[1], c[2], t[1], t[2], alpha=ALPHA, symmetric=symmetric
        ),
        (y, lower, upper),
        getkey(),
    )
    # one quantile at 1 - a, or two at 1 - a/2: each side adds up to 1/(n+1)
    _assert_guarantee(mean, se, NUM_CAL, upper_slack=1.0 if symmetric else 2.0)


def test_normalized_intervals_adapt_to_the_noise(getkey):
    """Locally adaptive intervals are narrow where the noise is small (|x| ~ 0)."""
    y, pred, scale, *_ = _heteroscedastic_data(getkey(), num=2000)
    lower, upper = uq.normalized_interval(y[:500], pred[:500], scale[:500], pred, scale, alpha=0.1)
    width = upper - lower
    assert float(jnp.max(width) / jnp.min(width)) > 2.5


def test_conformal_quantile_is_the_higher_rank():
    scores = jnp.arange(1.0, 11.0)[::-1]  # 10 scores, unsorted
    # n = 10, alpha = 0.2: k = ceil(11 * 0.8) = ceil(8.8) = 9 -> the 9th smallest = 9
    assert float(uq.conformal_quantile(scores, 0.2)) == 9.0
    # (n+1)(1-a) = 10 * 0.9 in floating point is 9.000000000000002: still rank 9, not 10
    assert uq.conformal_rank(9, 0.1) == 9
    scores = np.random.default_rng(0).permutation(np.arange(100.0))
    level = math.ceil(101 * 0.9) / 100  # k/n = 91/100: the 91st smallest, 90.0
    for method in ("inverted_cdf", "lower"):  # numpy's names for it at level k/n
        expected = np.quantile(scores, level, method=method)
        assert float(uq.conformal_quantile(jnp.asarray(scores), 0.1)) == expected == 90.0


@pytest.mark.parametrize(("alpha", "smallest"), [(0.1, 9), (0.05, 19), (0.2, 4), (0.01, 99)])
def test_too_small_calibration_set(alpha, smallest):
    assert uq.smallest_calibration_size(alpha) == smallest
    uq.conformal_quantile(jnp.ones(smallest), alpha)  # the smallest n works
    with pytest.raises(ValueError, match=rf"n={smallest - 1} .*alpha={alpha}.* n={smallest}"):
        uq.conformal_quantile(jnp.ones(smallest - 1), alpha)


def test_wrapper_refuses_small_set_at_conformalize():
    regressor = uq.SplitConformalRegressor(lambda x: x, confidence_level=0.95)
    with pytest.raises(ValueError, match="n=10 .*at least n=19"):
        regressor.conformalize(jnp.zeros(10), jnp.ones(10))
    with pytest.raises(ValueError, match="conformalize"):
        regressor.predict_interval(jnp.zeros(3))


def test_wrappers_equal_the_functional_core(getkey):
    x = jr.uniform(getkey(), (300,))
    y = jnp.sin(4 * x) + 0.2 * jr.normal(getkey(), (300,))
    f = lambda x: 0.95 * jnp.sin(4 * x)
    s = lambda x: 0.1 + x
    lo_fn, hi_fn = lambda x: f(x) - 0.2, lambda x: f(x) + 0.3
    cal, test = slice(0, 150), slice(150, None)

    reg = uq.SplitConformalRegressor(f, confidence_level=[0.8, 0.9]).conformalize(x[cal], y[cal])
    points, intervals = reg.predict_interval(x[test])
    assert intervals.shape == (150, 2, 2)
    lo, hi = uq.split_interval(y[cal], f(x[cal]), f(x[test]), alpha=0.1)
    np.testing.assert_allclose(intervals[:, 0, 1], lo, rtol=1e-6)
    np.testing.assert_allclose(intervals[:, 1, 1], hi, rtol=1e-6)
    np.testing.assert_allclose(points, f(x[test]))

    reg = uq.SplitConformalRegressor(f, conformity_score="residual_normalized", scale_estimator=s)
    _, intervals = reg.conformalize(x[cal], y[cal]).predict_interval(x[test], confidence_level=0.9)
    lo, hi = uq.normalized_interval(y[cal], f(x[cal]), s(x[cal]), f(x[test]), s(x[test]), alpha=0.1)
    np.testing.assert_allclose(intervals[:, 0, 0], lo, rtol=1e-6)
    np.testing.assert_allclose(intervals[:, 1, 0], hi, rtol=1e-6)

    cqr = uq.ConformalizedQuantileRegressor([lo_fn, hi_fn, f], confidence_level=0.9)
    _, intervals = cqr.conformalize(x[cal], y[cal]).predict_interval(x[test])
    lo, hi = uq.cqr_interval(
        y[cal], lo_fn(x[cal]), hi_fn(x[cal]), lo_fn(x[test]), hi_fn(x[test]), alpha=0.1
    )
    np.testing.assert_allclose(intervals[:, 0, 0], lo, rtol=1e-6)
    np.testing.assert_allclose(intervals[:, 1, 0], hi, rtol=1e-6)


# --- function-valued outputs -----------------------------------------------------------

GRID = (jnp.arange(64) + 0.5) / 64  # no point where every sin(k pi x) vanishes (ties)
SCALE = 0.2 + GRID**2  # the known per-point standard deviation of the errors


def _grf_errors(key, num):
    """Smooth random errors e(x) = s(x) sum_k z_k sin(k pi x) / k, normalised to std s(x):
    a GRF-like family whose pointwise scale is known."""
    k = jnp.arange(1, 17)
    basis = jnp.sin(jnp.pi * k[:, None] * GRID[None, :]) / k[:, None]
    norm = jnp.sqrt(jnp.sum(basis**2, axis=0)) + 1e-3
    z = jr.normal(key, (num, k.shape[0]))
    return SCALE * (z @ basis) / norm


def _function_coverage(key, band_fn, *, num_test=200):
    """Whole-function and per-point coverage over NUM_SPLITS fresh calibration/test draws."""
    truth_mean = jnp.sin(2 * jnp.pi * GRID)

    def one(key):
        cal_key, test_key = jr.split(key)
        u_cal = truth_mean + _grf_errors(cal_key, NUM_CAL)
        u_test = truth_mean + _grf_errors(test_key, num_test)
        pred_cal = jnp.broadcast_to(truth_mean, u_cal.shape)
        pred_test = jnp.broadcast_to(truth_mean, u_test.shape)
        lower, upper = band_fn(u_cal, pred_cal, pred_test)
        inside = (u_test >= lower) & (u_test <= upper)
        return jnp.mean(jnp.all(inside, axis=1)), jnp.mean(inside, axis=0)

    whole, per_point = jax.jit(jax.vmap(one))(jr.split(key, NUM_SPLITS))
    se = float(jnp.std(whole) / math.sqrt(NUM_SPLITS))
    return float(jnp.mean(whole)), se, jnp.mean(per_point, axis=0)


def test_simultaneous_band_covers_whole_functions(getkey):
    mean, se, _ = _function_coverage(
        getkey(),
        lambda u, p, q: uq.simultaneous_band(u, p, q, alpha=ALPHA, scale_cal=SCALE),
    )
    _assert_guarantee(mean, se, NUM_CAL)


def test_unnormalised_simultaneous_band_also_covers(getkey):
    mean, se, _ = _function_coverage(
        getkey(), lambda u, p, q: uq.simultaneous_band(u, p, q, alpha=ALPHA)
    )
    _assert_guarantee(mean, se, NUM_CAL)


def test_pointwise_band_covers_points_not_functions(getkey):
    whole, _, per_point = _function_coverage(
        getkey(), lambda u, p, q: uq.pointwise_band(u, p, q, alpha=ALPHA)
    )
    # each point: mean over 200 x 200 test values, se ~ 0.003 (splits are independent)
    assert float(jnp.min(per_point)) >= 1 - ALPHA - 0.012
    assert float(jnp.max(per_point)) <= 1 - ALPHA + 1 / (NUM_CAL + 1) + 0.012
    assert whole < 1 - ALPHA - 0.2  # the whole function leaves a pointwise band often


def test_normalised_band_is_narrow_where_the_errors_are(getkey):
    u = jnp.sin(2 * jnp.pi * GRID) + _grf_errors(getkey(), 200)
    pred = jnp.broadcast_to(jnp.sin(2 * jnp.pi * GRID), u.shape)
    lower, upper = uq.simultaneous_band(u, pred, pred[:1], alpha=0.1, scale_cal=SCALE)
    width = (upper - lower)[0]
    np.testing.assert_allclose(width / width[0], SCALE / SCALE[0], rtol=1e-5)


def test_function_wrapper(getkey):
    u = jnp.sin(2 * jnp.pi * GRID) + _grf_errors(getkey(), 300)
    a = jnp.zeros((300, 1))
    estimator = lambda a: jnp.broadcast_to(jnp.sin(2 * jnp.pi * GRID), (a.shape[0], GRID.size))
    reg = uq.ConformalFunctionRegressor(estimator, confidence_level=0.9, scale=SCALE)
    pred, bands = reg.conformalize(a[:100], u[:100]).predict_interval(a[100:])
    assert bands.shape == (200, 2, 64, 1)
    lo, hi = uq.simultaneous_band(u[:100], estimator(a[:100]), pred, alpha=0.1, scale_cal=SCALE)
    np.testing.assert_allclose(bands[:, 0, :, 0], lo, rtol=1e-6)
    np.testing.assert_allclose(bands[:, 1, :, 0], hi, rtol=1e-6)
    reg = uq.ConformalFunctionRegressor(estimator, method="pointwise")
    _, bands = reg.conformalize(a[:100], u[:100]).predict_interval(a[100:], confidence_level=0.8)
    lo, _ = uq.pointwise_band(u[:100], estimator(a[:100]), pred, alpha=0.2)
    np.testing.assert_allclose(bands[:, 0, :, 0], lo, rtol=1e-6)
