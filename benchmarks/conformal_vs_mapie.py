"""Our split-conformal and CQR intervals against MAPIE 1.6 on the same predictions.

Both sides see identical fixed predictors (prefit): a mean function for the split
interval, three quantile functions for CQR. Prints one JSON line with the max abs
difference of the interval bounds (target <= 1e-6) per method and confidence level.

    .venv/bin/python benchmarks/conformal_vs_mapie.py   # needs the `bench` extra (mapie)
"""

import json

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from mapie.regression import (  # noqa: E402
    ConformalizedQuantileRegressor as MapieCQR,
)
from mapie.regression import SplitConformalRegressor as MapieSplit  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin  # noqa: E402

from sciml_jax import uq  # noqa: E402


class FixedFunction(RegressorMixin, BaseEstimator):
    """A prefit scikit-learn regressor that evaluates a fixed function of column 0."""

    fitted_ = True  # MAPIE's prefit check looks for a fitted attribute

    def __init__(self, fn=None):
        self.fn = fn

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.asarray(self.fn(np.asarray(X)[:, 0]), dtype=float)


def main(num_cal: int = 500, num_test: int = 1000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, num_cal + num_test)
    y = np.sin(2 * x) + (0.1 + 0.3 * np.abs(x)) * rng.standard_normal(x.size)
    X = x[:, None]
    cal, test = slice(0, num_cal), slice(num_cal, None)
    mean = lambda x: 0.9 * np.sin(2 * x)
    lower = lambda x: mean(x) - 0.3 - 0.2 * np.abs(x)
    upper = lambda x: mean(x) + 0.25 + 0.25 * np.abs(x)
    result = {"num_calibration": num_cal, "num_test": num_test}
    worst = 0.0
    for level in (0.8, 0.9, 0.95):
        mapie = MapieSplit(FixedFunction(mean), confidence_level=level, prefit=True)
        _, theirs = mapie.conformalize(X[cal], y[cal]).predict_interval(X[test])
        ours = uq.SplitConformalRegressor(
            lambda X: jnp.asarray(mean(X[:, 0])), confidence_level=level
        )
        _, mine = ours.conformalize(X[cal], y[cal]).predict_interval(X[test])
        diff = float(np.max(np.abs(np.asarray(mine) - theirs)))
        result[f"split_max_abs_diff_{level}"] = diff
        worst = max(worst, diff)
        for symmetric in (False, True):
            estimators = [FixedFunction(lower), FixedFunction(upper), FixedFunction(mean)]
            mapie = MapieCQR(estimators, confidence_level=level, prefit=True)
            mapie = mapie.conformalize(X[cal], y[cal])
            _, theirs = mapie.predict_interval(X[test], symmetric_correction=symmetric)
            fns = [lambda X, f=f: jnp.asarray(f(X[:, 0])) for f in (lower, upper, mean)]
            ours = uq.ConformalizedQuantileRegressor(fns, confidence_level=level)
            _, mine = ours.conformalize(X[cal], y[cal]).predict_interval(
                X[test], symmetric_correction=symmetric
            )
            diff = float(np.max(np.abs(np.asarray(mine) - theirs)))
            name = "symmetric" if symmetric else "asymmetric"
            result[f"cqr_{name}_max_abs_diff_{level}"] = diff
            worst = max(worst, diff)
    result["max_abs_diff"] = worst
    result["within_1e-6"] = worst <= 1e-6
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
