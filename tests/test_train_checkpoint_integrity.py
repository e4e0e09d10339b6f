"""Torn or corrupt files on disk are reported and routed around, never fatal or silent."""

import dataclasses
import io
import json
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_config_fuzz import run_cli

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.train import (
    CorruptCheckpointWarning,
    RunDir,
    TornMetricsWarning,
    fit,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from sciml_jax.train._checkpoint import CorruptCheckpointError, read_checkpoint

CONFIG = TrainConfig(
    steps=60,
    chunk_size=10,
    checkpoint_every=20,
    keep_last=5,
    optimizer=OptimizerConfig(learning_rate=1e-2),
    progress=False,
)
X = jnp.linspace(-1.0, 1.0, 32)
DATA = {"x": X, "y": 3.0 * X - 1.0}


def line_loss(params, batch, key):
    return jnp.mean((params["a"] * batch["x"] + params["b"] - batch["y"]) ** 2)


def train(run_dir, config=CONFIG):
    params = {"a": jnp.zeros(()), "b": jnp.zeros(())}
    return fit(params, line_loss, config, key=jax.random.key(0), data=DATA, run=RunDir(run_dir))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return train(tmp_path_factory.mktemp("reference"))


def stop_at(step):
    return dataclasses.replace(CONFIG, steps=step)


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_a_byte(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage", [truncate, flip_a_byte], ids=["truncated", "flipped"])
def test_resume_sets_a_corrupt_newest_checkpoint_aside_and_uses_the_previous(
    tmp_path, reference, damage
):
    train(tmp_path, stop_at(40))  # checkpoints at 20 and 40
    newest = list_checkpoints(tmp_path / "checkpoints")[-1]
    assert newest.name == "ckpt_000000040.npz"
    damage(newest)
    with pytest.raises(CorruptCheckpointError, match="ckpt_000000040"):
        read_checkpoint(newest)
    with pytest.warns(CorruptCheckpointWarning, match="ckpt_000000040.npz") as caught:
        resumed = train(tmp_path)
    assert len(caught) == 1
    assert (tmp_path / "checkpoints" / "ckpt_000000040.npz.corrupt").exists()
    for name in ("a", "b"):
        assert np.array_equal(resumed.model[name], reference.model[name])
    assert [r["step"] for r in resumed.history] == list(range(10, 61, 10))
    for path in list_checkpoints(tmp_path / "checkpoints"):
        read_checkpoint(path)  # every checkpoint left is intact


def test_a_flipped_bit_inside_an_array_fails_the_checksum(tmp_path):
    # Rewrite one leaf with a changed value but a valid zip (so the CRCs agree): only
    # the stored SHA-256 can tell.
    tree = {"w": jnp.arange(4.0)}
    path = save_checkpoint(tmp_path, 1, tree, {"phase": 0}, keep_last=1)
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["leaf_00000"] = arrays["leaf_00000"].copy()
    arrays["leaf_00000"][2] = np.nextafter(arrays["leaf_00000"][2], np.float32(9))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(CorruptCheckpointError, match="SHA-256 mismatch"):
        load_checkpoint(path, tree)


def test_checkpoints_without_a_checksum_still_load(tmp_path):
    # The format before checksums: leaves (in flattening order: "step", then "w") and meta.
    path = tmp_path / "ckpt_000000007.npz"
    meta = np.frombuffer(json.dumps({"phase": 0, "step": 7}).encode(), dtype=np.uint8)
    np.savez(path, leaf_00000=np.int32(7), leaf_00001=np.arange(3, dtype=np.float32), __meta__=meta)
    restored, loaded = load_checkpoint(path, {"w": jnp.zeros(3), "step": jnp.int32(0)})
    assert loaded["step"] == 7 and np.array_equal(restored["w"], np.arange(3.0))
    assert "__sha256__.npy" not in zipfile.ZipFile(path).namelist()


def test_all_checkpoints_corrupt_restarts_from_step_zero_with_a_warning_each(tmp_path, reference):
    train(tmp_path, stop_at(40))
    for path in list_checkpoints(tmp_path / "checkpoints"):
        truncate(path)
    with pytest.warns(CorruptCheckpointWarning) as caught:
        resumed = train(tmp_path)
    assert sorted(str(w.message).split()[1].rsplit("/", 1)[1] for w in caught) == [
        "ckpt_000000020.npz",
        "ckpt_000000040.npz",
    ]
    assert np.array_equal(resumed.model["a"], reference.model["a"])
    assert [r["step"] for r in RunDir(tmp_path).read_metrics()] == list(range(10, 61, 10))


def test_a_torn_last_metrics_line_is_dropped_on_resume_with_a_warning(tmp_path, reference):
    train(tmp_path, stop_at(40))
    metrics = tmp_path / "metrics.jsonl"
    with open(metrics, "a") as f:
        f.write('{"step": 50, "loss": 0.0')  # half a line: the run died mid-write
    with pytest.warns(TornMetricsWarning, match="line 5"):
        resumed = train(tmp_path)
    steps = [json.loads(line)["step"] for line in metrics.read_text().splitlines()]
    assert steps == [10, 20, 30, 40, 50, 60]
    assert np.array_equal(resumed.model["b"], reference.model["b"])


def test_lines_logged_before_the_first_checkpoint_are_not_repeated(tmp_path):
    # Killed after logging step 10 but before the checkpoint at 20: the resumed run
    # starts from scratch and must not log step 10 twice.
    RunDir(tmp_path).log({"step": 10, "loss": 1.0})
    train(tmp_path)
    steps = [r["step"] for r in RunDir(tmp_path).read_metrics()]
    assert steps == list(range(10, 61, 10))


def test_steps_zero_is_refused_with_one_clean_line(tmp_path):
    status, err, out = run_cli(
        "run",
        "configs/regression.yaml",
        f"output_dir={tmp_path}",
        "name=zero",
        "train.steps=0",
        "train.progress=false",
    )
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "train.steps" in lines[0] and "got 0" in lines[0] and ">= 1" in lines[0]
    summary = json.loads((tmp_path / "regression" / "zero" / "summary.json").read_text())
    assert summary["status"] == "failed" and "train.steps" in summary["error"]


def test_lbfgs_only_runs_with_steps_zero(tmp_path):
    config = dataclasses.replace(CONFIG, steps=0, lbfgs_steps=20)
    result = train(tmp_path, config)
    assert int(result.state.step) == 20 and result.history[-1]["loss"] < 1e-6
