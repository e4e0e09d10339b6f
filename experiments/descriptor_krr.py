"""QM9 U0 descriptor baseline: kernel ridge regression on hand-made invariant descriptors
(Coulomb-matrix eigenvalues, sorted inverse distances), learning curve on the split of
`qm9_u0`.

U0 is modelled as per-element reference energies plus a kernel model of the rest,

    U0(M) = sum_s n_s(M) E_s + sum_i alpha_i k(x(M), x(M_i)),
    alpha = (K + lambda I)^-1 (y - sum_s n_s E_s),

with `E_s` the least-squares fit of the element counts `n_s` to U0 on the training
molecules, `x` a descriptor (`sciml_jax.nn`), `k` a Laplacian `exp(-|x - x'|_1 / sigma)`
or Gaussian `exp(-|x - x'|^2 / (2 sigma^2))` kernel, and `(sigma, lambda)` chosen on the
validation split from a grid (`sigma` in multiples of the median descriptor distance). The
solve is a dense Cholesky factorisation, `O(n^3)`: at the sizes above
`krr.tune_max_train` only the descriptor best on validation at the largest tuned size is
fitted, with the hyperparameters chosen there (`sigma` rescaled by the new median).

The split is `data.qm9_split(len(qm9), n_train, n_val=, n_test=, seed=split_seed)`, the
one `configs/qm9_u0.yaml` uses (nested training sets, one test set), so the curves compare
directly. `prediction.npz` holds, for every test molecule, its QM9 `Index` (`qm9_index`)
and the predicted total U0 in eV (`u0_eV`) of the descriptor best on validation at the
largest size.

Reference: Rupp, Tkatchenko, Müller, von Lilienfeld, PRL 108, 058301 (2012); Hansen et
al., J. Chem. Theory Comput. 9, 3404 (2013) (Laplacian kernels on Coulomb matrices).
"""

import time
from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
import scipy.spatial.distance
import threadpoolctl

from sciml_jax import data, nn
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.viz import plot_learning_curves, plot_parity

DESCRIPTION = "QM9 U0: kernel ridge regression on Coulomb eigenvalues / inverse distances"

ELEMENTS = (1, 6, 7, 8, 9)  # H C N O F

Descriptor = Literal["coulomb_eigenvalues", "inverse_distances"]
Kernel = Literal["laplacian", "gaussian"]


@dataclass(frozen=True)
class ProblemConfig:
    train_sizes: tuple[int, ...] = spec((1000, 5000, 20000), ge=1, doc="nested training sets")
    n_val: int = spec(1000, ge=1)
    n_test: int = spec(10_000, ge=1)
    split_seed: int = spec(0, ge=0, doc="the permutation of qm9_split")
    limit: int | None = spec(None, ge=1, doc="read only the first rows of QM9 (tests)")


@dataclass(frozen=True)
class KRRConfig:
    descriptors: tuple[Descriptor, ...] = ("coulomb_eigenvalues", "inverse_distances")
    kernels: tuple[Kernel, ...] = spec(("laplacian", "laplacian"), doc="one per descriptor")
    sigma_scales: tuple[float, ...] = spec(
        (0.5, 1.0, 2.0, 4.0, 8.0), gt=0.0, doc="kernel widths, x the median distance"
    )
    lambdas: tuple[float, ...] = spec((1e-4, 1e-3, 1e-2, 1e-1), gt=0.0, doc="ridge, K_ii = 1")
    tune_max_train: int = spec(5000, ge=1, doc="grid search up to this size, reuse beyond")
    batch_size: int = spec(2048, ge=1, doc="molecules per jitted descriptor call")


Config = wf.experiment_config(problem=ProblemConfig, krr=KRRConfig)


def _descriptor_fn(name):
    if name == "coulomb_eigenvalues":
        return nn.coulomb_matrix_eigenvalues
    return lambda z, positions, mask: nn.sorted_inverse_distances(positions, mask)


def _describe(name, qm9, batch_size):
    """`(m, d)` float64 descriptors of every molecule of `qm9`, in chunks."""
    fn = jax.jit(jax.vmap(_descriptor_fn(name)))
    parts = []
    for start in range(0, len(qm9), batch_size):
        rows = slice(start, start + batch_size)
        parts.append(
            np.asarray(
                fn(qm9.atomic_numbers[rows], qm9.positions[rows], qm9.node_mask[rows]),
                np.float64,
            )
        )
    return np.concatenate(parts)


def _counts(atomic_numbers):
    return np.stack([(atomic_numbers == z).sum(axis=1) for z in ELEMENTS], axis=1).astype(float)


@jax.jit
def _l1_block(a, b):
    return jnp.sum(jnp.abs(a[:, None, :] - b[None, :, :]), axis=-1)


def _distances(a, b, kind, block=(256, 4096)):
    """`(len(a), len(b))` float64 distances: `|a_i - b_j|_1` (laplacian) or `|a_i - b_j|^2`
    (gaussian).

    The L1 distances come from a jitted, fused `sum |a - b|` over fixed-size blocks (zero
    padded, so it compiles once) in float32: about 1e-7 relative, a kernel error well below
    any ridge on the grid, at twice the speed of float64 (at 20k training molecules and
    406 inverse distances this is the costliest step after the Cholesky solve).
    """
    out = np.empty((len(a), len(b)))
    if kind == "gaussian":
        # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b: a matrix product instead of a pairwise loop
        np.matmul(a, b.T, out=out)
        out *= -2.0
        out += np.sum(a**2, axis=1)[:, None]
        out += np.sum(b**2, axis=1)[None, :]
        return np.maximum(out, 0.0, out=out)
    rows, cols = block
    a32 = np.zeros((-(-len(a) // rows) * rows, a.shape[1]), np.float32)
    b32 = np.zeros((-(-len(b) // cols) * cols, b.shape[1]), np.float32)
    a32[: len(a)], b32[: len(b)] = a, b
    for i in range(0, len(a), rows):
        for j in range(0, len(b), cols):
            piece = np.asarray(_l1_block(a32[i : i + rows], b32[j : j + cols]))
            out[i : i + rows, j : j + cols] = piece[: len(a) - i, : len(b) - j]
    return out


def _kernel_of(distance, kind, sigma, *, in_place=False):
    """`exp(-d / sigma)` (laplacian, d the L1 distance) or `exp(-d / (2 sigma^2))` (gaussian,
    d the squared distance)."""
    out = distance if in_place else np.empty_like(distance)
    np.multiply(distance, -1.0 / (sigma if kind == "laplacian" else 2.0 * sigma**2), out=out)
    return np.exp(out, out=out)


def _median_distance(x, kind, rng):
    sample = x[rng.choice(len(x), min(len(x), 1000), replace=False)]
    metric = "cityblock" if kind == "laplacian" else "euclidean"
    return float(np.median(scipy.spatial.distance.pdist(sample, metric=metric)))


def _cholesky_solve(matrix, rhs):
    """`matrix^-1 rhs` for a symmetric positive-definite `matrix`, which is overwritten.

    One BLAS thread: the threaded Cholesky of the OpenBLAS builds in the NumPy and SciPy
    wheels (0.3.30, 0.3.31) segfaults from n of about 16,000 on (seen at 16,000 and 20,000,
    fine at 12,000 and single-threaded at 16,000).
    """
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        # .T: the Fortran-ordered view of the symmetric matrix, which LAPACK overwrites
        factor = scipy.linalg.cho_factor(matrix.T, overwrite_a=True, check_finite=False)
        return scipy.linalg.cho_solve(factor, rhs, check_finite=False)


def _krr(x_train, r_train, x_val, r_val, x_test, kind, grid):
    """Kernel ridge regression of the residuals `r` over `grid = [(sigma, lambdas)]`.

    Every `(sigma, lambda)` is fitted by a Cholesky solve of `(K + lambda I) alpha = r - mean`
    and scored on validation; returns the test predictions, validation MAE (eV), sigma and
    lambda of the best. The test set plays no part in the choice.
    """
    offset = r_train.mean()
    distances = [_distances(x, x_train, kind) for x in (x_train, x_val, x_test)]
    best = None
    for n, (sigma, lambdas) in enumerate(grid):
        last_sigma = n == len(grid) - 1
        # the last sigma overwrites the distances: no extra 3 GB at 20k training molecules
        gram, val_kernel, test_kernel = (
            _kernel_of(d, kind, sigma, in_place=last_sigma) for d in distances
        )
        for i, lam in enumerate(lambdas):
            system = gram if i == len(lambdas) - 1 else gram.copy()
            system[np.diag_indices_from(system)] += lam
            alpha = _cholesky_solve(system, r_train - offset)
            del system
            val_mae = float(np.mean(np.abs(val_kernel @ alpha + offset - r_val)))
            if best is None or val_mae < best[1]:
                best = (test_kernel @ alpha + offset, val_mae, sigma, lam)
        del gram, val_kernel, test_kernel
    return best


def run(config: Config, run) -> dict:
    p, k = config.problem, config.krr
    if len(k.kernels) != len(k.descriptors):
        raise ValueError(
            f"krr.kernels has {len(k.kernels)} entries for {len(k.descriptors)} "
            "krr.descriptors; give one kernel per descriptor, e.g. kernels: [laplacian, gaussian]."
        )
    if len(set(k.descriptors)) != len(k.descriptors):
        raise ValueError(f"krr.descriptors={list(k.descriptors)} repeats a descriptor.")
    sizes = sorted(p.train_sizes)
    start = time.perf_counter()
    qm9 = data.load_qm9(limit=p.limit)
    split = data.qm9_split(len(qm9), sizes[-1], n_val=p.n_val, n_test=p.n_test, seed=p.split_seed)
    used = np.concatenate([split["train"], split["val"], split["test"]])
    subset = qm9.take(used)
    n_train, n_val = len(split["train"]), len(split["val"])
    train_rows = np.arange(n_train)
    val_rows = np.arange(n_train, n_train + n_val)
    test_rows = np.arange(n_train + n_val, len(used))
    counts, u0 = _counts(subset.atomic_numbers), subset.u0_eV
    features = {name: _describe(name, subset, k.batch_size) for name in k.descriptors}
    describe_minutes = (time.perf_counter() - start) / 60

    summary = {"describe_minutes": describe_minutes}
    curves = {name: [] for name in k.descriptors}
    composition_curve = []
    chosen = {}  # descriptor -> (sigma / median distance, lambda) at the largest tuned size
    fitted = list(k.descriptors)
    krr_curve, best_at_largest = [], None
    for size in sizes:
        rows = train_rows[:size]
        # per-element reference energies: least squares of the counts to U0
        reference, *_ = np.linalg.lstsq(counts[rows], u0[rows], rcond=None)
        baseline = counts @ reference
        residual = u0 - baseline
        composition_mae = 1e3 * float(np.mean(np.abs(residual[test_rows])))
        summary[f"composition_{size}_test_mae_meV"] = composition_mae
        composition_curve.append(composition_mae)
        tuned = size <= k.tune_max_train or not chosen
        if not tuned:
            # beyond the tuning sizes a dense solve costs minutes: fit only the descriptor
            # best on validation at the largest tuned size, with its hyperparameters
            fitted = [min(chosen, key=lambda name: chosen[name][2])]
        best_val = None
        for name, kind in zip(k.descriptors, k.kernels, strict=True):
            if name not in fitted:
                continue
            begin = time.perf_counter()
            x = features[name]
            scale = _median_distance(x[rows], kind, np.random.default_rng(config.seed))
            if tuned:
                grid = [(s * scale, k.lambdas) for s in k.sigma_scales]
            else:
                grid = [(chosen[name][0] * scale, (chosen[name][1],))]
            pred, val_mae, sigma, lam = _krr(
                x[rows], residual[rows], x[val_rows], residual[val_rows], x[test_rows], kind, grid
            )
            if tuned:
                chosen[name] = (sigma / scale, lam, val_mae)
            u0_pred = baseline[test_rows] + pred
            mae = 1e3 * float(np.mean(np.abs(u0_pred - u0[test_rows])))
            curves[name].append((size, mae))
            summary[f"{name}_{size}_test_mae_meV"] = mae
            summary[f"{name}_{size}_val_mae_meV"] = 1e3 * val_mae
            summary[f"{name}_{size}_sigma"] = sigma
            summary[f"{name}_{size}_lambda"] = lam
            summary[f"{name}_{size}_tuned"] = tuned
            summary[f"{name}_{size}_minutes"] = (time.perf_counter() - begin) / 60
            if best_val is None or val_mae < best_val[0]:
                best_val = (val_mae, name, mae, u0_pred)
        summary[f"krr_{size}_test_mae_meV"] = best_val[2]
        summary[f"krr_{size}_descriptor"] = best_val[1]
        krr_curve.append(best_val[2])
        best_at_largest = (best_val[1], best_val[3], baseline[test_rows])

    name, u0_pred, baseline_test = best_at_largest
    qm9_index = subset.index[test_rows]
    assert np.array_equal(qm9_index, qm9.index[split["test"]])
    run.save_npz("prediction", qm9_index=qm9_index, u0_eV=u0_pred, descriptor=np.array(name))
    figure = plot_learning_curves(
        sizes,
        {"KRR (best on validation)": krr_curve, "composition only": composition_curve},
        ylabel="test MAE U0 (meV)",
        title="QM9 U0, kernel ridge regression",
    )
    for label, points in curves.items():  # per descriptor, over the sizes it was fitted at
        figure.axes[0].loglog(*zip(*points, strict=True), "x:", label=label)
    figure.axes[0].legend()
    run.save_figure(figure, "learning_curve")
    truth = u0[test_rows]
    run.save_figure(
        plot_parity(
            {"U0 - composition": (truth - baseline_test, u0_pred - baseline_test, "eV")},
            title=f"KRR on {name}, {sizes[-1]} training molecules",
        ),
        "parity",
    )
    summary.update(
        {
            "train_sizes": sizes,
            "test_molecules": len(test_rows),
            "val_molecules": len(val_rows),
            "prediction_descriptor": name,
            "minutes": (time.perf_counter() - start) / 60,
        }
    )
    return summary
