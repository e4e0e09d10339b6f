"""Split conformal prediction: a functional core and MAPIE-like wrappers.

Split conformal prediction (Vovk et al. 2005; Lei et al. 2018) turns any trained predictor
into intervals with a finite-sample guarantee. With nonconformity scores $s_1..s_n$ of a
calibration set exchangeable with the test point,

$$ \\hat q = s_{(k)}, \\quad k = \\lceil (n+1)(1-\\alpha) \\rceil, \\qquad
   1 - \\alpha \\le P(Y \\in C(X)) \\le 1 - \\alpha + \\frac{1}{n+1} $$

(the upper bound when scores have no ties). $s_{(k)}$ is the k-th smallest score, the
"higher" empirical quantile (inverse empirical CDF at level $k/n$); it exists only if
$k \\le n$, i.e. $n \\ge 1/\\alpha - 1$, otherwise the honest interval is infinite and we refuse.

Scores implemented here:

- split (absolute residual): $s = |y - \\hat f(x)|$, $C = \\hat f \\pm \\hat q$;
- normalised (locally adaptive): $s = |y - \\hat f(x)| / \\sigma(x)$,
  $C = \\hat f \\pm \\hat q \\sigma$;
- CQR (Romano et al. 2019): $s = \\max(\\hat q_{lo} - y, y - \\hat q_{hi})$,
  $C = [\\hat q_{lo} - \\hat q, \\hat q_{hi} + \\hat q]$ (or one correction per side, MAPIE's
  default, each at level $1 - \\alpha/2$);
- functions $u(x_j)$ on a grid: pointwise bands (one quantile per grid point, each point
  covered with probability $\\ge 1-\\alpha$) and simultaneous bands (sup-norm score
  $s = \\max_j |u(x_j) - \\hat u(x_j)| / \\sigma(x_j)$, the whole function covered with
  probability $\\ge 1-\\alpha$; Diquigiovanni et al. 2022, Gopakumar et al. 2024).

The core functions are pure `jnp` and jittable with `alpha` static (the rank depends only on
`n` and `alpha`), and vmap over random calibration splits. The wrappers
(`SplitConformalRegressor`, `ConformalizedQuantileRegressor`, `ConformalFunctionRegressor`)
read like MAPIE 1.6 over any prediction function, always "prefit": pass a trained predictor.
"""

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Literal

import jax.numpy as jnp

from .._types import Array, Float

# (n + 1)(1 - alpha) is computed in floating point: 10 * 0.9 = 9.000000000000002, whose
# ceiling would be one rank too high. A tolerance far below 1/(n + 1) absorbs that.
_RANK_TOLERANCE = 1e-9


def smallest_calibration_size(alpha: float) -> int:
    """The smallest calibration set for which the conformal quantile at miscoverage `alpha`
    is finite: the least n with $\\lceil (n+1)(1-\\alpha) \\rceil \\le n$ (about
    $1/\\alpha - 1$)."""
    _check_alpha(alpha)
    n = max(1, math.floor(1 / alpha - 1) - 1)
    while math.ceil((n + 1) * (1 - alpha) - _RANK_TOLERANCE) > n:
        n += 1
    return n


def conformal_rank(n: int, alpha: float) -> int:
    """The rank $k = \\lceil (n+1)(1-\\alpha) \\rceil$ of the conformal quantile among `n`
    calibration scores (1-based).

    **Raises:** `ValueError` if $k > n$: the calibration set is too small for the level;
    the message names `n`, `alpha` and the smallest `n` that works.
    """
    _check_alpha(alpha)
    k = max(1, math.ceil((n + 1) * (1 - alpha) - _RANK_TOLERANCE))
    if k > n:
        raise ValueError(
            f"a calibration set of n={n} scores is too small for miscoverage alpha={alpha} "
            f"(confidence level {1 - alpha:g}): the conformal quantile needs rank "
            f"ceil((n+1)(1-alpha))={k} <= n. Use at least n={smallest_calibration_size(alpha)} "
            "calibration samples, or a larger alpha."
        )
    return k


def conformal_quantile(scores: Float[Array, "..."], alpha: float) -> Float[Array, "..."]:
    """The finite-sample conformal quantile of `scores` along axis 0: the
    $k = \\lceil (n+1)(1-\\alpha) \\rceil$-th smallest, the "higher" empirical quantile:
    the smallest score whose empirical CDF reaches $k/n$ (numpy's `method="inverted_cdf"`
    at level $k/n$, equal to `method="lower"` there, MAPIE's form).

    **Arguments:**

    - `scores`: nonconformity scores, calibration samples first; further axes (grid points)
      get one quantile each.
    - `alpha`: miscoverage in (0, 1), a Python float (static under `jit`).

    **Returns:** the quantile, shaped `scores.shape[1:]`.

    ```python
    q = conformal_quantile(jnp.abs(y_cal - f(x_cal)), 0.1)   # f(x) +- q covers >= 90 %
    ```
    """
    k = conformal_rank(scores.shape[0], alpha)
    return jnp.sort(scores, axis=0)[k - 1]


# --- scores --------------------------------------------------------------------------


def absolute_score(y, prediction):
    """Split-conformal score $|y - \\hat f(x)|$."""
    return jnp.abs(y - prediction)


def normalized_score(y, prediction, scale):
    """Locally adaptive score $|y - \\hat f(x)| / \\sigma(x)$ for a positive scale $\\sigma$
    (a predicted standard deviation or absolute residual)."""
    return jnp.abs(y - prediction) / scale


def cqr_score(y, lower, upper):
    """CQR score $\\max(\\hat q_{lo}(x) - y, y - \\hat q_{hi}(x))$ (negative inside)."""
    return jnp.maximum(lower - y, y - upper)


def sup_score(u, prediction, scale=None):
    """Sup-norm score of whole functions $\\max_j |u(x_j) - \\hat u(x_j)| / \\sigma(x_j)$.

    `u`, `prediction`: `(samples, *grid)`; `scale`: `grid`-shaped (one per point) or
    `(samples, *grid)` (per sample), or `None` for 1. Returns `(samples,)`.
    """
    residual = jnp.abs(u - prediction)
    if scale is not None:
        residual = residual / scale
    return jnp.max(residual.reshape(residual.shape[0], -1), axis=1)


def residual_scale(u, prediction, *, floor: float = 1e-12):
    """Per-point scale for simultaneous bands: the RMS residual over samples,
    $\\sigma(x_j) = (\\frac1m \\sum_i (u_i(x_j) - \\hat u_i(x_j))^2)^{1/2}$, floored.

    Estimate it on data disjoint from the calibration set, so calibration and test scores
    stay exchangeable.
    """
    return jnp.maximum(jnp.sqrt(jnp.mean((u - prediction) ** 2, axis=0)), floor)


# --- intervals ------------------------------------------------------------------------


def split_interval(y_cal, prediction_cal, prediction, *, alpha: float):
    """Split-conformal interval $\\hat f(x) \\pm \\hat q$ from absolute residuals.

    **Arguments:** calibration targets and predictions `(n, ...)`, test predictions,
    miscoverage `alpha` (static).

    **Returns:** `(lower, upper)`, shaped like `prediction`.
    """
    q = conformal_quantile(absolute_score(y_cal, prediction_cal), alpha)
    return prediction - q, prediction + q


def normalized_interval(y_cal, prediction_cal, scale_cal, prediction, scale, *, alpha: float):
    """Locally adaptive interval $\\hat f(x) \\pm \\hat q \\sigma(x)$ with $\\hat q$ the conformal
    quantile of $|y - \\hat f| / \\sigma$ (Lei et al. 2018, sec. 5.2).

    **Returns:** `(lower, upper)`.
    """
    q = conformal_quantile(normalized_score(y_cal, prediction_cal, scale_cal), alpha)
    return prediction - q * scale, prediction + q * scale


def cqr_interval(
    y_cal, lower_cal, upper_cal, lower, upper, *, alpha: float, symmetric: bool = False
):
    """Conformalized quantile regression (Romano, Patterson and Candes 2019).

    Symmetric: one correction $\\hat q$ at level $1-\\alpha$ of $\\max(\\hat q_{lo} - y,
    y - \\hat q_{hi})$, the interval $[\\hat q_{lo} - \\hat q, \\hat q_{hi} + \\hat q]$.
    Asymmetric (default, as MAPIE's `symmetric_correction=False`): the lower and upper
    residuals $\\hat q_{lo} - y$ and $y - \\hat q_{hi}$ each get their own quantile at level
    $1 - \\alpha/2$ (so it needs $n \\ge 2/\\alpha - 1$).

    **Returns:** `(lower, upper)` of the conformalized interval.
    """
    if symmetric:
        q = conformal_quantile(cqr_score(y_cal, lower_cal, upper_cal), alpha)
        return lower - q, upper + q
    q_low = conformal_quantile(lower_cal - y_cal, alpha / 2)
    q_high = conformal_quantile(y_cal - upper_cal, alpha / 2)
    return lower - q_low, upper + q_high


def pointwise_band(u_cal, prediction_cal, prediction, *, alpha: float):
    """Pointwise conformal band for functions: at each grid point $x_j$ its own split
    interval, $\\hat u(x_j) \\pm \\hat q_j$. Each point is covered with probability
    $\\ge 1-\\alpha$, the whole function with less.

    `u_cal`, `prediction_cal`: `(n, *grid)`; `prediction`: `(m, *grid)` or `grid`.
    **Returns:** `(lower, upper)` like `prediction`.
    """
    return split_interval(u_cal, prediction_cal, prediction, alpha=alpha)


def simultaneous_band(
    u_cal, prediction_cal, prediction, *, alpha: float, scale_cal=None, scale=None
):
    """Simultaneous conformal band for functions, from the sup-norm score normalised per
    point: $\\hat u(x_j) \\pm \\hat q \\sigma(x_j)$ with $\\hat q$ the conformal quantile of
    $\\max_j |u(x_j) - \\hat u(x_j)| / \\sigma(x_j)$. The whole function lies in the band with
    probability in $[1-\\alpha, 1-\\alpha+1/(n+1)]$.

    **Arguments:**

    - `u_cal`, `prediction_cal`: calibration functions and predictions, `(n, *grid)`.
    - `prediction`: test predictions, `(m, *grid)`.
    - `alpha`: miscoverage (static).
    - `scale_cal`, `scale`: the per-point scale $\\sigma$: one `grid`-shaped array shared by
      all samples (pass it as `scale_cal` only, e.g. `residual_scale` on held-out data), or
      per-sample arrays (an ensemble's std) for both; `None` for the plain sup-norm.

    **Returns:** `(lower, upper)` like `prediction`.
    """
    if scale is None:
        scale = scale_cal
    q = conformal_quantile(sup_score(u_cal, prediction_cal, scale_cal), alpha)
    half_width = q if scale is None else q * scale
    return prediction - half_width, prediction + half_width


def _check_alpha(alpha) -> None:
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(
            f"alpha must be a Python float in (0, 1) (the miscoverage, 1 - confidence_level); "
            f"got {alpha!r}."
        )


# --- MAPIE-like wrappers ----------------------------------------------------------------


def _alphas(confidence_level) -> list[float]:
    levels = [confidence_level] if isinstance(confidence_level, int | float) else confidence_level
    alphas = []
    for level in levels:
        if not 0 < level < 1:
            raise ValueError(f"confidence_level must lie in (0, 1); got {level!r}.")
        alphas.append(1.0 - float(level))
    return alphas


def _require_conformalized(wrapper) -> None:
    if wrapper.calibration_ is None:
        raise ValueError(
            f"{type(wrapper).__name__}.predict_interval needs calibration data first: "
            "call `.conformalize(X_conformalize, y_conformalize)` (it returns the "
            "conformalized regressor)."
        )


@dataclasses.dataclass(frozen=True)
class SplitConformalRegressor:
    """Split conformal intervals around any prediction function, read like MAPIE 1.6's
    `SplitConformalRegressor(estimator, confidence_level, conformity_score, prefit=True)`.

    **Arguments:**

    - `estimator`: `X -> prediction`, batched (e.g. `jax.vmap(model)`), already trained.
    - `confidence_level`: $1-\\alpha$, a float or a sequence (one interval each).
    - `conformity_score`: `"absolute"` ($|y - \\hat f|$) or `"residual_normalized"`
      ($|y - \\hat f| / \\sigma$, with `scale_estimator`).
    - `scale_estimator`: `X -> sigma > 0`, for `"residual_normalized"` (a predicted std, or a
      model of the absolute residual fitted on data other than the calibration set).

    `conformalize` returns a new, conformalized regressor (the object itself is immutable).

    ```python
    regressor = SplitConformalRegressor(jax.vmap(model), confidence_level=0.9)
    regressor = regressor.conformalize(X_conf, y_conf)
    points, intervals = regressor.predict_interval(X_test)  # intervals: (n, 2, 1)
    ```
    """

    estimator: Callable
    confidence_level: float | Sequence[float] = 0.9
    conformity_score: Literal["absolute", "residual_normalized"] = "absolute"
    scale_estimator: Callable | None = None
    calibration_: tuple | None = None

    def __post_init__(self):
        if self.conformity_score not in ("absolute", "residual_normalized"):
            raise ValueError(
                f"conformity_score must be 'absolute' or 'residual_normalized'; "
                f"got {self.conformity_score!r}."
            )
        if self.conformity_score == "residual_normalized" and self.scale_estimator is None:
            raise ValueError(
                "conformity_score='residual_normalized' needs scale_estimator: a function "
                "X -> sigma(X) > 0 (a predicted standard deviation or absolute residual)."
            )
        _alphas(self.confidence_level)

    def _scale(self, X):
        return 1.0 if self.conformity_score == "absolute" else self.scale_estimator(X)

    def conformalize(self, X_conformalize, y_conformalize) -> "SplitConformalRegressor":
        """The nonconformity scores of the calibration set; returns the conformalized
        regressor."""
        prediction = self.estimator(X_conformalize)
        scores = normalized_score(
            jnp.asarray(y_conformalize), prediction, self._scale(X_conformalize)
        )
        for alpha in _alphas(self.confidence_level):
            conformal_rank(scores.shape[0], alpha)  # refuse a too-small set now, not later
        return dataclasses.replace(self, calibration_=(scores,))

    @property
    def conformity_scores(self):
        """The calibration scores, `(n,)`."""
        _require_conformalized(self)
        return self.calibration_[0]

    def predict(self, X):
        """The point predictions `estimator(X)`."""
        return self.estimator(X)

    def predict_interval(self, X, confidence_level=None):
        """Point predictions `(n,)` and intervals `(n, 2, n_levels)` (lower, upper), at the
        regressor's `confidence_level` or the one given here."""
        _require_conformalized(self)
        level = self.confidence_level if confidence_level is None else confidence_level
        prediction = self.estimator(X)
        scale = self._scale(X)
        bounds = []
        for alpha in _alphas(level):
            q = conformal_quantile(self.calibration_[0], alpha)
            bounds.append(jnp.stack([prediction - q * scale, prediction + q * scale], axis=1))
        return prediction, jnp.stack(bounds, axis=-1)


@dataclasses.dataclass(frozen=True)
class ConformalizedQuantileRegressor:
    """Conformalized quantile regression, read like MAPIE 1.6's
    `ConformalizedQuantileRegressor([lower, upper, median], confidence_level, prefit=True)`.

    **Arguments:**

    - `estimator`: three trained functions `[lower, upper, median]`, each `X -> values`,
      predicting the quantiles $\\alpha/2$, $1-\\alpha/2$ and $0.5$.
    - `confidence_level`: $1-\\alpha$.

    `predict_interval(X, symmetric_correction=False)` corrects each side by its own
    quantile (MAPIE's default); `True` uses one correction for both.
    """

    estimator: Sequence[Callable]
    confidence_level: float = 0.9
    calibration_: tuple | None = None

    def __post_init__(self):
        if len(self.estimator) != 3:
            raise ValueError(
                "ConformalizedQuantileRegressor needs estimator=[lower, upper, median] "
                f"(three functions); got {len(self.estimator)}."
            )
        _alphas(self.confidence_level)

    def conformalize(self, X_conformalize, y_conformalize) -> "ConformalizedQuantileRegressor":
        """Store the calibration residuals of both quantile predictors."""
        lower_fn, upper_fn, _ = self.estimator
        y = jnp.asarray(y_conformalize)
        lower, upper = lower_fn(X_conformalize), upper_fn(X_conformalize)
        conformal_rank(y.shape[0], _alphas(self.confidence_level)[0] / 2)
        return dataclasses.replace(self, calibration_=(lower - y, y - upper))

    def predict(self, X):
        """The median predictions."""
        return self.estimator[2](X)

    def predict_interval(self, X, confidence_level=None, *, symmetric_correction: bool = False):
        """Median predictions `(n,)` and intervals `(n, 2, 1)`."""
        _require_conformalized(self)
        (alpha,) = _alphas(self.confidence_level if confidence_level is None else confidence_level)
        lower_res, upper_res = self.calibration_
        lower_fn, upper_fn, median_fn = self.estimator
        lower, upper = lower_fn(X), upper_fn(X)
        if symmetric_correction:
            q_low = q_high = conformal_quantile(jnp.maximum(lower_res, upper_res), alpha)
        else:
            q_low = conformal_quantile(lower_res, alpha / 2)
            q_high = conformal_quantile(upper_res, alpha / 2)
        intervals = jnp.stack([lower - q_low, upper + q_high], axis=1)[..., None]
        return median_fn(X), intervals


@dataclasses.dataclass(frozen=True)
class ConformalFunctionRegressor:
    """Conformal bands for function-valued predictions (operators, PINNs), in MAPIE's
    vocabulary: `conformalize(X, U)` then `predict_interval(X, confidence_level)`.

    **Arguments:**

    - `estimator`: `X -> U_hat`, batched, returning `(samples, *grid)`.
    - `confidence_level`: $1-\\alpha$ (float or sequence).
    - `method`: `"simultaneous"` (the whole function covered, sup-norm score) or
      `"pointwise"` (each grid point covered).
    - `scale`: for `"simultaneous"`, the per-point scale: a `grid`-shaped array, a function
      `X -> (samples, *grid)` (e.g. an ensemble's std), or `None` for 1.

    **Returns** of `predict_interval`: predictions `(m, *grid)` and bands
    `(m, 2, *grid, n_levels)`.
    """

    estimator: Callable
    confidence_level: float | Sequence[float] = 0.9
    method: Literal["simultaneous", "pointwise"] = "simultaneous"
    scale: Array | Callable | None = None
    calibration_: tuple | None = None

    def __post_init__(self):
        if self.method not in ("simultaneous", "pointwise"):
            raise ValueError(f"method must be 'simultaneous' or 'pointwise'; got {self.method!r}.")
        _alphas(self.confidence_level)

    def _scale(self, X):
        return self.scale(X) if callable(self.scale) else self.scale

    def conformalize(self, X_conformalize, U_conformalize) -> "ConformalFunctionRegressor":
        """Calibration scores: sup-norm per function, or residuals per point."""
        prediction = self.estimator(X_conformalize)
        U = jnp.asarray(U_conformalize)
        if self.method == "simultaneous":
            scores = sup_score(U, prediction, self._scale(X_conformalize))
        else:
            scores = absolute_score(U, prediction)
        for alpha in _alphas(self.confidence_level):
            conformal_rank(scores.shape[0], alpha)
        return dataclasses.replace(self, calibration_=(scores,))

    def predict(self, X):
        return self.estimator(X)

    def predict_interval(self, X, confidence_level=None):
        _require_conformalized(self)
        level = self.confidence_level if confidence_level is None else confidence_level
        prediction = self.estimator(X)
        scale = self._scale(X) if self.method == "simultaneous" else None
        bands = []
        for alpha in _alphas(level):
            half = conformal_quantile(self.calibration_[0], alpha)
            if scale is not None:
                half = half * scale
            half = jnp.broadcast_to(half, prediction.shape)
            bands.append(jnp.stack([prediction - half, prediction + half], axis=1))
        return prediction, jnp.stack(bands, axis=-1)
