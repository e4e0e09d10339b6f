"""Exact interventional Shapley values against the axioms and a second implementation (the
average over all n! feature orderings of each feature's marginal contribution), in float64,
on synthetic models and on ridge / kernel ridge models of QM9's U0."""

import itertools
import math

import numpy as np
import pytest

from sciml_jax import data
from sciml_jax.analysis import exact_shapley_values


def _permutation_shapley(predict, x, background):
    """Shapley values as the mean over all orderings of v(before + i) - v(before)."""
    n = x.size

    def value(coalition):
        hybrid = background.copy()
        hybrid[:, list(coalition)] = x[list(coalition)]
        return predict(hybrid).mean()

    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        for position, i in enumerate(order):
            before = order[:position]
            phi[i] += value((*before, i)) - value(before)
    return phi / math.factorial(n)


def _nonlinear(X):
    return np.sin(X[:, 0] * X[:, 1]) + X[:, 2] ** 2 * X[:, 3] + np.exp(0.3 * X[:, 4]) * X[:, 0]


def test_linear_model_attributions_are_weight_times_deviation():
    rng = np.random.default_rng(0)
    w, b0 = rng.normal(size=6), 0.7
    background = rng.normal(size=(40, 6))
    x = rng.normal(size=(5, 6))
    values, base = exact_shapley_values(lambda X: X @ w + b0, x, background)
    np.testing.assert_allclose(values, w * (x - background.mean(0)), rtol=0, atol=1e-12)
    assert base == pytest.approx(background.mean(0) @ w + b0, abs=1e-12)


def test_nonlinear_model_equals_permutation_definition_and_is_efficient():
    rng = np.random.default_rng(1)
    background = rng.normal(size=(30, 5))
    x = rng.normal(size=5)
    values, base = exact_shapley_values(_nonlinear, x, background, batch_size=100)
    np.testing.assert_allclose(
        values, _permutation_shapley(_nonlinear, x, background), rtol=0, atol=1e-12
    )
    assert abs(values.sum() + base - _nonlinear(x[None])[0]) < 1e-10  # efficiency
    assert base == pytest.approx(_nonlinear(background).mean(), abs=1e-14)
    # The interaction terms make the values differ from any linear reading.
    assert np.max(np.abs(values)) > 0.1


def test_symmetric_and_dummy_features():
    rng = np.random.default_rng(2)
    half = rng.normal(size=(20, 4))
    background = np.concatenate([half, half[:, [1, 0, 2, 3]]])  # closed under swapping 0, 1

    def f(X):  # symmetric in features 0 and 1, ignores feature 3
        return X[:, 0] * X[:, 1] + np.tanh(X[:, 0] + X[:, 1]) * X[:, 2]

    x = np.array([0.8, 0.8, -1.3, 5.0])
    values, base = exact_shapley_values(f, x, background)
    assert values[0] == pytest.approx(values[1], abs=1e-13)
    assert values[3] == 0.0
    assert abs(values.sum() + base - f(x[None])[0]) < 1e-12


def _coulomb_eigenvalues(z, r, n, k):
    z, r = z[:n].astype(float), r[:n]
    d = np.linalg.norm(r[:, None] - r[None], axis=-1)
    np.fill_diagonal(d, 1.0)
    m = np.outer(z, z) / d
    np.fill_diagonal(m, 0.5 * z**2.4)
    e = np.linalg.eigvalsh(m)
    return np.pad(e[np.argsort(-np.abs(e))], (0, 29))[:k]


@pytest.fixture(scope="module")
def qm9_features():
    """Element counts (H C N O F) and the 3 largest Coulomb eigenvalues of 300 molecules."""
    qm9 = data.load_qm9(limit=300)
    counts = np.stack([(qm9.atomic_numbers == s).sum(1) for s in (1, 6, 7, 8, 9)], 1)
    eig = np.stack(
        [
            _coulomb_eigenvalues(z, r, n, 3)
            for z, r, n in zip(qm9.atomic_numbers, qm9.positions, qm9.n_atoms, strict=True)
        ]
    )
    return np.concatenate([counts, eig], 1).astype(float), qm9.u0_eV


def test_qm9_ridge_model(qm9_features):
    X, y = qm9_features
    mean, scale = X.mean(0), X.std(0) + 1e-12
    design = np.concatenate([(X - mean) / scale, np.ones((len(X), 1))], 1)
    coef = np.linalg.solve(design.T @ design + 1e-3 * np.eye(design.shape[1]), design.T @ y)
    w, b0 = coef[:-1] / scale, coef[-1] - mean / scale @ coef[:-1]
    predict = lambda Z: Z @ w + b0
    assert np.mean(np.abs(predict(X) - y)) < 1.0  # eV, out of |U0| ~ 10^3-10^4: a real fit
    background, x = X[:50], X[250:260]
    values, base = exact_shapley_values(predict, x, background)
    np.testing.assert_allclose(values, w * (x - background.mean(0)), rtol=0, atol=1e-9)
    assert np.max(np.abs(values.sum(1) + base - predict(x))) < 1e-10


def test_qm9_kernel_ridge_model_efficiency_and_duplicate_feature(qm9_features):
    X, y = qm9_features
    # The property: U0 minus per-element reference energies fitted by least squares (what
    # is left for a descriptor model), in eV.
    counts = np.concatenate([X[:, :5], np.ones((len(X), 1))], 1)
    residual = y - counts @ np.linalg.lstsq(counts[:200], y[:200], rcond=None)[0]
    X = np.concatenate([X, X[:, [1]]], 1)  # feature 8 is a copy of the carbon count
    Z = (X - X.mean(0)) / X.std(0)
    train, background, explain = Z[:200], Z[200:240], Z[280:286]
    sq = lambda A, B: ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)
    sigma = np.sqrt(np.median(sq(train, train)))
    kernel = lambda A, B: np.exp(-sq(A, B) / (2 * sigma**2))
    alpha = np.linalg.solve(kernel(train, train) + 1e-3 * np.eye(200), residual[:200])
    predict = lambda A: kernel(A, train) @ alpha
    values, base = exact_shapley_values(predict, explain, background, batch_size=1 << 14)
    assert np.max(np.abs(values.sum(1) + base - predict(explain))) < 1e-10  # efficiency
    # The isotropic kernel sees features 1 and 8 alike (equal in every row): equal shares.
    np.testing.assert_allclose(values[:, 1], values[:, 8], rtol=0, atol=1e-12)
    assert np.min(np.abs(values[:, 1])) > 1e-3  # and not trivially so (eV)


def test_refuses_bad_shapes_and_too_many_features():
    with pytest.raises(ValueError, match="same n"):
        exact_shapley_values(lambda X: X.sum(1), np.zeros(3), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="n <= 16"):
        exact_shapley_values(lambda X: X.sum(1), np.zeros(17), np.zeros((5, 17)))
