"""A run that diverges, or whose summary is not finite, never ends as "completed"."""

import json
import math
import types

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest
from test_config_fuzz import run_cli

from sciml_jax.cli._main import _execute
from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.train import DivergenceError, RunDir, fit, list_checkpoints

QUIET = {"progress": False}
DEFAULT_FACTOR = TrainConfig().divergence_factor


class Scalar(eqx.Module):
    a: jax.Array


def quadratic_terms(model, batch, key):
    return {"data_misfit": model.a**2, "smoothness": 0.0 * model.a}


def test_divergence_stops_at_the_exact_step_naming_term_and_fix(tmp_path):
    # SGD on a^2 with learning rate 2: a -> -3a, the loss grows 9x per step from 1, so
    # the loss first exceeds 1e6 x its initial value at step 7 (9**7 = 4.8e6 > 1e6).
    config = TrainConfig(
        steps=100,
        chunk_size=5,
        checkpoint_every=5,
        keep_last=10,
        optimizer=OptimizerConfig(name="sgd", learning_rate=2.0),
        divergence_factor=1e6,
        **QUIET,
    )
    run = RunDir(tmp_path)
    with pytest.raises(DivergenceError) as caught:
        fit(Scalar(jnp.ones(())), quadratic_terms, config, key=jax.random.key(0), run=run)
    error = caught.value
    assert error.step == 7 and error.term == "data_misfit"
    assert error.value == pytest.approx(9.0**7) and error.reference == pytest.approx(1.0)
    message = str(error)
    assert "step 7" in message and "'data_misfit'" in message
    assert "train.optimizer.learning_rate" in message and "train.divergence_factor" in message
    # Nothing of the bad chunk is written: the checkpoint at step 5 is the last one.
    assert [p.name for p in list_checkpoints(run.checkpoints_dir)] == ["ckpt_000000005.npz"]
    assert error.checkpoint == str(list_checkpoints(run.checkpoints_dir)[-1])
    assert [r["step"] for r in run.read_metrics()] == [5]


def test_divergence_factor_null_turns_the_guard_off():
    config = TrainConfig(
        steps=10,
        chunk_size=5,
        checkpoint_every=5,
        optimizer=OptimizerConfig(name="sgd", learning_rate=2.0),
        divergence_factor=None,
        **QUIET,
    )
    result = fit(Scalar(jnp.ones(())), quadratic_terms, config, key=jax.random.key(0))
    # The record at step 10 holds the loss evaluated at step 9, before its update.
    assert result.history[-1]["loss"] == pytest.approx(9.0**9)


def test_negative_losses_are_measured_by_their_magnitude():
    # A log-likelihood-like loss that starts negative and rises by less than the factor
    # times its magnitude is not a divergence.
    config = TrainConfig(
        steps=10,
        chunk_size=5,
        checkpoint_every=5,
        optimizer=OptimizerConfig(name="sgd", learning_rate=1.0),
        divergence_factor=10.0,
        **QUIET,
    )
    rising = lambda m, b, k: -1.0 + 0.0 * m.a  # noqa: E731
    fit(Scalar(jnp.ones(())), rising, config, key=jax.random.key(0))


def _cli(tmp_path, config, *overrides):
    status, err, out = run_cli(
        "run", config, f"output_dir={tmp_path}", "name=r", "train.progress=false", *overrides
    )
    (path,) = tmp_path.glob("*/r/summary.json")
    summary = json.loads(path.read_text())
    return status, err, summary


def test_regression_with_a_huge_learning_rate_is_reported_as_diverged(tmp_path):
    status, err, summary = _cli(
        tmp_path,
        "configs/regression.yaml",
        "train.optimizer.learning_rate=1e6",
        "train.steps=400",
        "train.eval_every=200",
        "train.checkpoint_every=200",
        "model.width=16",
    )
    assert status == 3, err
    assert summary["status"] == "diverged"
    assert "at step" in summary["error"] and "train.optimizer.learning_rate" in summary["error"]
    assert err.startswith("error: ") and "Traceback" not in err


def test_eos_fit_float64_learning_rate_1e30_is_not_completed(tmp_path, x64):
    # The loss stays finite (~1e50) in float64, so only the divergence guard sees it.
    status, err, summary = _cli(
        tmp_path,
        "configs/eos_fit.yaml",
        "train.optimizer.learning_rate=1e30",
        "train.steps=250",
        "train.lbfgs_steps=0",
        "train.checkpoint_every=250",
    )
    assert status == 3, err
    assert summary["status"] == "diverged" and "step" in summary["error"]


def _fake_experiment(summary):
    return types.SimpleNamespace(run=lambda config, run: summary)


@pytest.mark.parametrize(
    "bad", [{"v0": math.nan}, {"b0": math.inf, "ok": 1.0}, {"nested": {"x": [1.0, -math.inf]}}]
)
def test_a_summary_with_non_finite_values_fails_naming_the_keys(tmp_path, capsys, bad):
    config = types.SimpleNamespace(experiment="fake", precision="float32", devices=1)
    status = _execute(_fake_experiment(bad), config, RunDir(tmp_path))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert status == 3
    assert summary["status"] == "failed"
    bad_keys = {"v0": "v0", "b0": "b0", "nested": "nested.x[1]"}
    (name,) = [bad_keys[k] for k in bad if k in bad_keys]
    assert name in summary["error"] and name in capsys.readouterr().err
    assert "ok =" not in summary["error"]


def test_a_finite_summary_completes(tmp_path):
    config = types.SimpleNamespace(experiment="fake", precision="float32", devices=1)
    status = _execute(_fake_experiment({"v0": 1.0, "n": None}), config, RunDir(tmp_path))
    assert status == 0
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "completed"


# Short runs of the shipped small and demo configs, with the guard 100x tighter than the
# default: every step's loss of these runs (the guard checks each step, not each log
# line) stays below 1e-2 x the default factor times its initial loss.
# (burgers_pinn_demo and eos_fit with L-BFGS pass too but take 35-45 s: left out.)
SHIPPED = [
    ("configs/regression.yaml", ["train.steps=1000"]),
    ("configs/eos_fit.yaml", ["train.steps=250", "train.lbfgs_steps=0"]),
    ("configs/deeponet_antiderivative_small.yaml", ["train.steps=500"]),
]


@pytest.mark.parametrize("config, overrides", SHIPPED, ids=lambda c: str(c).split("/")[-1])
def test_default_guard_has_100x_margin_on_shipped_configs(tmp_path, x64, config, overrides):
    # (x64: the fixture restores the precision that a float64 config switches on.)
    jax.config.update("jax_enable_x64", False)
    tight = DEFAULT_FACTOR / 100
    status, err, summary = _cli(tmp_path, config, f"train.divergence_factor={tight}", *overrides)
    assert status == 0, err
    assert summary["status"] == "completed"
