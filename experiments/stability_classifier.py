"""A classifier that learns the stability of an equilibrium, scored against the exact rule.

An equilibrium of $\\dot x = f(x)$ with Jacobian $J$ is linearly stable iff every
eigenvalue of $J$ has $\\mathrm{Re}\\,\\lambda < 0$. Random Jacobians
$J = G / \\sqrt{n} + s I$ ($G$ standard normal, $n$ drawn from `sizes`, the shift
$s \\sim U(\\text{shift\\_low}, \\text{shift\\_high})$ balancing the two classes) are labelled
by that rule, and an MLP (the `train.fit` engine, minibatches, binary cross-entropy) learns
it from

- `eigenvalues`: the real parts of $J$'s eigenvalues, sorted in decreasing order and
  padded to `max(sizes)` by repeating the smallest (which leaves the rule unchanged): the
  rule is then a threshold on the first input;
- `entries`: $J$'s raw entries, padded block-diagonally with $-I$ to
  `max(sizes)` x `max(sizes)` (stable eigenvalues, so the label is unchanged): the rule
  is now the Routh-Hurwitz conditions, nonlinear in the entries.

Held-out random systems score each variant: accuracy, and its error rate binned by the
distance $|\\max_i \\mathrm{Re}\\,\\lambda_i|$ to the boundary. A smooth classifier of a
sharp rule errs in a band around the boundary whose width shrinks with data and training;
the errors should concentrate in the first bins.
"""

from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax

from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.nn import MLP
from sciml_jax.sampling import MinibatchSampler
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_error_by_margin, plot_histories

DESCRIPTION = "MLP learns stability (all Re lambda < 0) of random Jacobians; errors vs margin"


@dataclass(frozen=True)
class SystemsConfig:
    sizes: tuple[int, ...] = spec((2, 3, 4), ge=1, doc="n of the n x n Jacobians, drawn evenly")
    num_train: int = spec(20_000, ge=2)
    num_test: int = spec(20_000, ge=2)
    shift_low: float = spec(-1.6, doc="s ~ U(low, high) in J = G / sqrt(n) + s I")
    shift_high: float = spec(0.4)
    bin_edges: tuple[float, ...] = spec(
        (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
        ge=0.0,
        doc="increasing |max Re lambda| bin edges; the last bin is open",
    )


@dataclass(frozen=True)
class ModelConfig:
    features: tuple[Literal["eigenvalues", "entries"], ...] = ("eigenvalues", "entries")
    width: int = spec(64, ge=1)
    depth: int = spec(2, ge=1)
    batch_size: int = spec(256, ge=1)
    near_boundary: float = spec(0.1, gt=0.0, doc="|max Re lambda| below this is 'near'")


Config = wf.experiment_config(systems=SystemsConfig, model=ModelConfig)


def random_jacobians(c: SystemsConfig, num: int, key) -> tuple[np.ndarray, np.ndarray]:
    """`num` Jacobians, each `(n_max, n_max)` with its own `n` from `c.sizes` in the top
    left block and $-I$ below; and their `n`."""
    n_max = max(c.sizes)
    # Host-side draws seeded by the key: eigvals run in NumPy anyway, and one Generator
    # avoids compiling a JAX sampler per shape.
    rng = np.random.default_rng(np.asarray(jr.key_data(key)))
    sizes = np.asarray(c.sizes)[rng.integers(0, len(c.sizes), num)]
    gaussian = rng.standard_normal((num, n_max, n_max))
    shift = rng.uniform(c.shift_low, c.shift_high, num)
    inside = np.arange(n_max)[None, :] < sizes[:, None]  # (num, n_max)
    block = inside[:, :, None] & inside[:, None, :]
    eye = np.eye(n_max)[None]
    jac = np.where(block, gaussian / np.sqrt(sizes)[:, None, None] + shift[:, None, None] * eye, 0)
    jac = jac - np.where(~inside[:, :, None], eye, 0.0)
    return jac, sizes


def eigenvalue_features(jac: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Real parts of each system's own eigenvalues, decreasing, padded with the smallest."""
    n_max = jac.shape[-1]
    features = np.empty((len(jac), n_max))
    for n in np.unique(sizes):
        rows = sizes == n
        real = np.sort(np.linalg.eigvals(jac[rows, :n, :n]).real, axis=-1)[:, ::-1]
        features[rows] = np.concatenate([real, np.repeat(real[:, -1:], n_max - n, -1)], -1)
    return features


def error_by_margin(wrong: np.ndarray, margin: np.ndarray, edges) -> tuple[np.ndarray, ...]:
    """Error rate and sample count per bin of `|margin|` between `edges` (the last edge
    may be `inf`); NaN for an empty bin."""
    index = np.clip(np.digitize(np.abs(margin), edges) - 1, 0, len(edges) - 2)
    counts = np.bincount(index, minlength=len(edges) - 1)
    errors = np.bincount(index, weights=wrong.astype(float), minlength=len(edges) - 1)
    return np.where(counts > 0, errors / np.maximum(counts, 1), np.nan), counts


def _loss(model, batch, key):
    logits = jax.vmap(model)(batch["x"])
    return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, batch["y"]))


def run(config: Config, run: RunDir | None) -> dict:
    c, m = config.systems, config.model
    train_key, test_key, model_key, fit_key = jr.split(jr.key(config.seed), 4)
    train_jac, train_sizes = random_jacobians(c, c.num_train, train_key)
    test_jac, test_sizes = random_jacobians(c, c.num_test, test_key)
    train_eig = eigenvalue_features(train_jac, train_sizes)
    test_eig = eigenvalue_features(test_jac, test_sizes)
    # The exact rule; the padding keeps each system's own max Re lambda in column 0.
    train_label, test_margin = train_eig[:, 0] < 0, test_eig[:, 0]
    test_label = test_margin < 0
    inputs = {
        "eigenvalues": (train_eig, test_eig),
        "entries": (train_jac.reshape(c.num_train, -1), test_jac.reshape(c.num_test, -1)),
    }
    summary = {
        "num_train": c.num_train,
        "num_test": c.num_test,
        "stable_fraction_test": float(test_label.mean()),
        "bin_edges": list(c.bin_edges),
    }
    edges = np.append(np.asarray(c.bin_edges, float), np.inf)
    rates, histories, counts, predictions = {}, {}, None, {}
    near = np.abs(test_margin) < m.near_boundary
    for name in m.features:
        x_train, x_test = (jnp.asarray(a) for a in inputs[name])
        scale = jnp.std(x_train, axis=0) + 1e-12
        x_train, x_test = x_train / scale, x_test / scale
        model = MLP(x_train.shape[1], "scalar", m.width, m.depth, key=jr.fold_in(model_key, 0))
        data = {"x": x_train, "y": jnp.asarray(train_label, x_train.dtype)}
        sampler = MinibatchSampler(data, batch_size=min(m.batch_size, c.num_train))
        result = fit(
            model, _loss, config.train, key=fit_key, sampler=sampler, run=wf.sub_run(run, name)
        )
        predicted = np.asarray(jax.vmap(result.model)(x_test)) > 0
        wrong = predicted != test_label
        rates[name], counts = error_by_margin(wrong, test_margin, edges)
        histories[name], predictions[f"stable_{name}"] = result.history, predicted
        errors = np.abs(test_margin[wrong])
        summary[name] = {
            "accuracy": float(1 - wrong.mean()),
            "errors": int(wrong.sum()),
            "error_rate_by_bin": rates[name].tolist(),
            "errors_near_boundary_fraction": float(near[wrong].mean()) if wrong.any() else 1.0,
            "accuracy_far_from_boundary": float(1 - wrong[~near].mean()),
            "median_margin_of_errors": float(np.median(errors)) if wrong.any() else 0.0,
            "max_margin_of_errors": float(errors.max()) if wrong.any() else 0.0,
            "accuracy_by_size": {
                str(n): float(1 - wrong[test_sizes == n].mean()) for n in np.unique(test_sizes)
            },
            "final_loss": result.history[-1]["loss"],
        }
    summary["count_by_bin"] = counts.tolist()
    summary["near_boundary_fraction_of_test"] = float(near.mean())
    summary["median_margin_of_test"] = float(np.median(np.abs(test_margin)))
    if run is not None:
        run.save_npz(
            "predictions", margin=test_margin, sizes=test_sizes, edges=edges, **predictions
        )
        run.save_figure(plot_error_by_margin(edges, rates, counts=counts), "error_by_margin")
        run.save_figure(plot_histories(histories, "loss", ylabel="cross-entropy"), "loss_curves")
    return summary
