"""`train.fit`'s loop on one-parameter problems whose every step is known in closed form."""

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.train import NonFiniteLossError, RunDir, fit, list_checkpoints

QUIET = {"progress": False}


class Scalar(eqx.Module):
    a: jax.Array


def linear_then_root(model, batch, key):
    # d loss / d a = 1 exactly, so SGD at rate 0.3 gives a_k = 1 - 0.3 k; the second term
    # (no gradient) turns NaN once a < 0, first at step 4.
    return {"linear": model.a, "root": jax.lax.stop_gradient(jnp.sqrt(model.a))}


def test_nan_stops_at_the_exact_step_and_names_the_last_good_checkpoint(tmp_path):
    config = TrainConfig(
        steps=20,
        chunk_size=2,
        checkpoint_every=2,
        keep_last=10,
        optimizer=OptimizerConfig(name="sgd", learning_rate=0.3),
        **QUIET,
    )
    run = RunDir(tmp_path)
    with pytest.raises(NonFiniteLossError) as caught:
        fit(Scalar(jnp.ones(())), linear_then_root, config, key=jax.random.key(0), run=run)
    error = caught.value
    assert error.step == 4 and error.term == "root"
    # The chunk holding step 4 wrote nothing: the checkpoint at step 4 (state before the
    # step) is the last one, and the error names it.
    checkpoints = list_checkpoints(run.checkpoints_dir)
    assert [p.name for p in checkpoints] == ["ckpt_000000002.npz", "ckpt_000000004.npz"]
    assert error.checkpoint == str(checkpoints[-1])
    assert str(checkpoints[-1]) in str(error)


def test_history_and_final_state_follow_the_closed_form_sgd_iterates():
    config = TrainConfig(
        steps=6,
        chunk_size=3,
        checkpoint_every=3,
        optimizer=OptimizerConfig(name="sgd", learning_rate=0.1),
        **QUIET,
    )
    result = fit(Scalar(jnp.ones(())), linear_then_root, config, key=jax.random.key(0))
    # a_k = 1 - 0.1 k; the record at step s holds the loss evaluated at step s - 1.
    assert [r["step"] for r in result.history] == [3, 6]
    assert result.history[0]["linear"] == pytest.approx(0.8, rel=1e-6)
    assert result.history[1]["linear"] == pytest.approx(0.5, rel=1e-6)
    assert result.history[1]["loss"] == pytest.approx(0.5 + 0.5**0.5, rel=1e-6)
    assert float(result.model.a) == pytest.approx(0.4, rel=1e-6)
    assert int(result.state.step) == 6 and result.state.step.dtype == jnp.int32
    assert result.stopped_early is False and result.checkpoint is None


def test_the_progress_bar_counts_every_step(capsys):
    config = TrainConfig(
        steps=6,
        chunk_size=3,
        checkpoint_every=3,
        optimizer=OptimizerConfig(name="sgd", learning_rate=0.1),
        progress=True,
    )
    fit(Scalar(jnp.ones(())), linear_then_root, config, key=jax.random.key(0))
    assert "6/6" in capsys.readouterr().err


class Counter(eqx.Module):
    n: jax.Array


def test_a_model_with_nothing_to_train_is_refused_naming_its_type():
    config = TrainConfig(steps=2, chunk_size=1, checkpoint_every=1, **QUIET)
    with pytest.raises(ValueError, match=r"model \(Counter\) has no floating-point array leaves"):
        fit(
            Counter(jnp.zeros((), jnp.int32)),
            lambda m, b, k: {"loss": 0.0},
            config,
            key=jax.random.key(0),
        )


def test_a_run_resumed_from_its_checkpoint_continues_the_same_iterates(tmp_path):
    def config(steps):
        return TrainConfig(
            steps=steps,
            chunk_size=3,
            checkpoint_every=3,
            optimizer=OptimizerConfig(name="sgd", learning_rate=0.1),
            **QUIET,
        )

    first = fit(
        Scalar(jnp.ones(())),
        linear_then_root,
        config(3),
        key=jax.random.key(0),
        run=RunDir(tmp_path),
    )
    assert float(first.model.a) == pytest.approx(0.7, rel=1e-6)
    # a fresh model: everything it ends with comes from the checkpoint at step 3
    resumed = fit(
        Scalar(jnp.full((), 5.0)),
        linear_then_root,
        config(6),
        key=jax.random.key(0),
        run=RunDir(tmp_path),
    )
    assert float(resumed.model.a) == pytest.approx(0.4, rel=1e-6)
    assert [r["step"] for r in resumed.history] == [3, 6]  # the first run's record kept
