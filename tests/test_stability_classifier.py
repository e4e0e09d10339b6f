"""The stability_classifier experiment: the exact rule, its padding, and the learned rule.

Truths: the Routh-Hurwitz conditions on the characteristic polynomial (no eigensolver):
$n = 2$: $a_1, a_0 > 0$; $n = 3$: $a_2, a_0 > 0$, $a_2 a_1 > a_0$; $n = 4$: $a_3, a_0 > 0$,
$a_3 a_2 > a_1$, $a_3 a_2 a_1 > a_1^2 + a_3^2 a_0$, for
$\\det(sI - J) = s^n + a_{n-1} s^{n-1} + \\dots + a_0$; hand-counted bins for the
error-by-margin table; and, for the trained classifiers, that a smooth classifier of a
sharp rule errs only in a band around the boundary: the eigenvalue variant (a threshold on
one input) must beat 95 % with every error within 0.1 of the boundary, the raw-entries
variant must beat chance by far and err most in the innermost bins.
"""

import contextlib
import io
import json

import jax
import numpy as np
import pytest

from sciml_jax.cli import main
from sciml_jax.workflow import load_experiment

TINY = [
    "systems.num_train=2000",
    "systems.num_test=4000",
    "model.width=16",
    "model.depth=1",
    "model.batch_size=128",
    "train.steps=600",
    "train.chunk_size=200",
    "train.checkpoint_every=600",
    "train.optimizer.learning_rate=1.0e-2",
    "train.optimizer.schedule.name=constant",
    "train.progress=false",
]


def run_cli(*args):
    err, out = io.StringIO(), io.StringIO()
    previous = jax.config.jax_enable_x64
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            status = main(list(args))
    finally:
        jax.config.update("jax_enable_x64", previous)
    return status, err.getvalue(), out.getvalue()


def routh_hurwitz_stable(jac: np.ndarray) -> bool:
    a = np.poly(jac)[1:][::-1]  # a[0] = a_0, ..., a[n-1]
    n = len(jac)
    if n == 1:
        return a[0] > 0
    if n == 2:
        return a[1] > 0 and a[0] > 0
    if n == 3:
        return a[2] > 0 and a[0] > 0 and a[2] * a[1] > a[0]
    if n == 4:
        a0, a1, a2, a3 = a
        return a3 > 0 and a0 > 0 and a3 * a2 > a1 and a3 * a2 * a1 > a1**2 + a3**2 * a0
    raise NotImplementedError(n)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    status, err, out = run_cli(
        "run", "configs/stability_classifier.yaml", f"output_dir={folder}", "name=tiny", *TINY
    )
    assert status == 0, (err, out)
    run = folder / "stability_classifier" / "tiny"
    return run, json.loads((run / "summary.json").read_text())


def test_exact_rule_and_padding_agree_with_routh_hurwitz():
    module = load_experiment("stability_classifier")
    config = module.SystemsConfig(sizes=(1, 2, 3, 4))
    jac, sizes = module.random_jacobians(config, 3000, jax.random.key(3))
    features = module.eigenvalue_features(jac, sizes)
    margin = features[:, 0]
    clear = np.abs(margin) > 1e-8  # Routh-Hurwitz in floating point is exact only off it
    own = [routh_hurwitz_stable(j[:n, :n]) for j, n in zip(jac, sizes, strict=True)]
    np.testing.assert_array_equal((margin < 0)[clear], np.asarray(own)[clear])
    # The -I padding adds eigenvalues -1 only, so the padded matrix has the same label.
    padded = np.linalg.eigvals(jac).real.max(-1)
    np.testing.assert_array_equal((padded < 0)[clear], (margin < 0)[clear])
    for j, n, row in zip(jac[:50], sizes[:50], features[:50], strict=True):
        assert np.all(np.diff(row) <= 0) and np.all(row[n:] == row[n - 1])
        np.testing.assert_allclose(np.sort(row[:n]), np.sort(np.linalg.eigvals(j[:n, :n]).real))
    assert 0.3 < np.mean(margin < 0) < 0.7  # the shift balances the classes


def test_error_by_margin_counts_by_hand():
    module = load_experiment("stability_classifier")
    margin = np.array([-0.005, 0.004, 0.05, -0.2, 0.3, 2.0])
    wrong = np.array([True, False, True, False, False, False])
    rates, counts = module.error_by_margin(wrong, margin, [0.0, 0.01, 0.1, np.inf])
    np.testing.assert_array_equal(counts, [2, 1, 3])
    np.testing.assert_allclose(rates, [0.5, 1.0, 0.0])


def test_eigenvalue_classifier_errs_only_near_the_boundary(tiny_run):
    _, summary = tiny_run
    eig = summary["eigenvalues"]
    assert eig["accuracy"] >= 0.95, eig
    assert eig["max_margin_of_errors"] <= 0.1, eig
    assert eig["accuracy_far_from_boundary"] == 1.0
    # Most held-out systems are far from the boundary; the errors all are near it.
    assert summary["near_boundary_fraction_of_test"] < 0.2
    assert eig["errors_near_boundary_fraction"] == 1.0


def test_entries_classifier_errors_concentrate_near_the_boundary(tiny_run):
    _, summary = tiny_run
    entries = summary["entries"]
    assert entries["accuracy"] >= 0.8, entries
    rates = np.array(entries["error_rate_by_bin"], float)
    inner, outer = np.nanmean(rates[:4]), rates[-1]  # |max Re| < 0.03 against > 1
    assert inner > 0.2 and outer < 0.02, rates
    assert entries["errors_near_boundary_fraction"] > 2 * summary["near_boundary_fraction_of_test"]


def test_run_writes_figures_and_predictions(tiny_run):
    run, summary = tiny_run
    assert summary["status"] == "completed"
    assert sorted(p.name for p in (run / "figures").glob("*.png")) == [
        "error_by_margin.png",
        "loss_curves.png",
    ]
    data = np.load(run / "predictions.npz")
    wrong = data["stable_eigenvalues"] != (data["margin"] < 0)
    assert int(wrong.sum()) == summary["eigenvalues"]["errors"]


def test_zero_training_steps_is_one_clean_error(tmp_path):
    status, err, _ = run_cli(
        "run", "configs/stability_classifier.yaml", f"output_dir={tmp_path}", *TINY, "train.steps=0"
    )
    assert status == 2 and "Traceback" not in err
    assert err.strip().startswith("error: ") and "train.steps" in err
