"""Posterior quality: the classifier two-sample test (C2ST) and simulation-based calibration."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["c2st", "sbc_ranks", "sbc_uniformity"]


def c2st(reference, samples, *, seed: int = 1, n_folds: int = 5, z_score: bool = True) -> float:
    """Classifier two-sample test accuracy, exactly as sbibm defines it.

    An MLP (scikit-learn's `MLPClassifier`, ReLU, two hidden layers of `10 * dim`,
    Adam, `max_iter=10000`) learns to tell `reference` (label 0) from `samples`
    (label 1); the score is its mean `n_folds`-fold cross-validated accuracy
    (shuffled `KFold`), with both sets z-scored by the reference's mean and std.
    0.5: indistinguishable; 1.0: disjoint.

    **Arguments:**

    - `reference`: `(n, dim)` e.g. sbibm's 10,000 reference posterior samples.
    - `samples`: `(m, dim)` e.g. the estimated posterior's samples.
    - `seed`, `n_folds`, `z_score`: sbibm's defaults (1, 5, True).

    **Returns:** the accuracy, a float in [0, 1].

    References: Lopez-Paz & Oquab 2017; Lueckmann et al. 2021 (`sbibm.metrics.c2st`).
    """
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.neural_network import MLPClassifier

    x = np.asarray(reference, np.float64)
    y = np.asarray(samples, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"c2st needs two (n, dim) arrays of the same dim; got {x.shape} and {y.shape}."
        )
    if z_score:
        mean, std = x.mean(0), x.std(0, ddof=1)  # torch.std is the unbiased one
        x, y = (x - mean) / std, (y - mean) / std
    dim = x.shape[1]
    classifier = MLPClassifier(
        activation="relu",
        hidden_layer_sizes=(10 * dim, 10 * dim),
        max_iter=10000,
        solver="adam",
        random_state=seed,
    )
    data = np.concatenate([x, y])
    target = np.concatenate([np.zeros(len(x)), np.ones(len(y))])
    folds = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(classifier, data, target, cv=folds, scoring="accuracy")))


def sbc_ranks(theta_true, posterior_samples) -> np.ndarray:
    """Simulation-based calibration ranks (Talts et al. 2018).

    For pairs $\\theta_i \\sim p(\\theta)$, $x_i \\sim p(x|\\theta_i)$ and $L$ draws
    $\\theta_i^{(l)} \\sim q(\\theta | x_i)$, the rank of each coordinate is
    $r_{ij} = \\#\\{l : \\theta^{(l)}_{ij} < \\theta_{ij}\\} \\in \\{0, \\dots, L\\}$.
    If $q$ is the true posterior, every $r_{\\cdot j}$ is uniform on $\\{0..L\\}$.

    **Arguments:**

    - `theta_true`: `(n, dim)` the prior draws $\\theta_i$.
    - `posterior_samples`: `(n, L, dim)` the posterior draws given each $x_i$.

    **Returns:** `(n, dim)` int ranks.
    """
    theta = np.asarray(theta_true)
    draws = np.asarray(posterior_samples)
    if draws.ndim != 3 or draws.shape[0] != theta.shape[0] or draws.shape[2] != theta.shape[1]:
        raise ValueError(
            f"posterior_samples has shape {draws.shape}; expected (n, L, dim) with "
            f"(n, dim) = {theta.shape}."
        )
    return np.sum(draws < theta[:, None, :], axis=1)


def sbc_uniformity(ranks, num_posterior_samples: int, *, num_bins: int | None = None) -> dict:
    """Tests of the SBC ranks' uniformity, per parameter.

    - `ks_pvalue`: Kolmogorov-Smirnov against $U[0, 1]$ of the ranks mapped to
      $(r + u) / (L + 1)$, $u \\sim U[0, 1)$ (randomised to make the discrete ranks
      continuous and exactly uniform under the null).
    - `chi2_pvalue`: Pearson's chi-square over `num_bins` equal bins of ranks
      (default about `n / 20` bins, at least 2, dividing `L + 1` values evenly enough).

    **Returns:** dict of `(dim,)` arrays `ks_pvalue`, `chi2_pvalue`.
    """
    ranks = np.asarray(ranks)
    n, dim = ranks.shape
    levels = num_posterior_samples + 1
    bins = num_bins or int(np.clip(n // 20, 2, levels))
    u = np.random.default_rng(0).random(ranks.shape)
    ks, chi2 = [], []
    for j in range(dim):
        ks.append(stats.kstest((ranks[:, j] + u[:, j]) / levels, "uniform").pvalue)
        counts = np.bincount(ranks[:, j] * bins // levels, minlength=bins)
        expected = n * np.diff(np.ceil(np.arange(bins + 1) * levels / bins)) / levels
        chi2.append(stats.chisquare(counts, expected).pvalue)
    return {"ks_pvalue": np.asarray(ks), "chi2_pvalue": np.asarray(chi2)}
