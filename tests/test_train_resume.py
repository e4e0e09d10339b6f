"""Nothing is lost: SIGKILL at any moment, resume, and reach the same bits; NaN guard."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.sampling import AbstractSampler
from sciml_jax.train import (
    NonFiniteLossError,
    RunDir,
    fit,
    list_checkpoints,
    load_checkpoint,
    make_optimizer,
    save_checkpoint,
)
from sciml_jax.train._loop import initial_state

WORKER = Path(__file__).with_name("resume_worker.py")
STEPS = 3000


def run_worker(run_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(run_dir), str(STEPS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def final_params(run_dir: Path) -> list[np.ndarray]:
    with np.load(run_dir / "final.npz") as data:
        return [data[k] for k in sorted(data.files, key=lambda k: int(k.split("_")[1]))]


def test_sigkill_then_resume_is_bit_identical(tmp_path):
    reference = run_worker(tmp_path / "uninterrupted")
    killed_dir = tmp_path / "killed"
    killed = run_worker(killed_dir)
    deadline = time.time() + 120
    while not list_checkpoints(killed_dir / "checkpoints"):
        assert killed.poll() is None, killed.stderr.read()
        assert time.time() < deadline, "no checkpoint appeared within 120 s"
        time.sleep(0.01)
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate()
    assert killed.returncode == -signal.SIGKILL
    steps_done = [int(p.stem.split("_")[1]) for p in list_checkpoints(killed_dir / "checkpoints")]
    assert max(steps_done) < STEPS, "the run finished before it could be killed"

    resumed = run_worker(killed_dir)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    out_ref, err_ref = reference.communicate(timeout=300)
    assert reference.returncode == 0, err_ref

    for a, b in zip(
        final_params(killed_dir), final_params(tmp_path / "uninterrupted"), strict=True
    ):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    # The sampler state (a step counter) resumed too, and the log has no gap or repeat.
    assert out.strip() == out_ref.strip() == f"sampler_state {STEPS}"
    with open(killed_dir / "metrics.jsonl") as log:
        steps = [json.loads(line)["step"] for line in log]
    assert steps == list(range(50, STEPS + 1, 50))


class NaNAtStep(AbstractSampler):
    """Clean data until step `bad_step`, then a NaN in one target."""

    bad_step: int

    def init(self, key):
        return jnp.zeros((), jnp.int32)

    def sample(self, state, key):
        x = jnp.linspace(-1.0, 1.0, 16)
        y = jnp.where((state == self.bad_step) & (x > 0.9), jnp.nan, 2.0 * x)
        return {"x": x, "y": y}, state + 1


class Slope(eqx.Module):
    a: jax.Array

    def __call__(self, x):
        return self.a * x


def fit_terms(model, batch, key):
    residual = model(batch["x"]) - batch["y"]
    return {"data_misfit": jnp.mean(residual**2), "smoothness": 1e-3 * model.a**2}


@pytest.mark.parametrize("bad_step", [0, 137, 260])
def test_nan_stops_with_step_and_term_and_keeps_last_good_checkpoint(tmp_path, getkey, bad_step):
    run = RunDir(tmp_path)
    config = TrainConfig(
        steps=400, chunk_size=20, checkpoint_every=40, keep_last=100, progress=False
    )
    with pytest.raises(NonFiniteLossError) as caught:
        fit(
            Slope(jnp.zeros(())),
            fit_terms,
            config,
            key=getkey(),
            sampler=NaNAtStep(bad_step),
            run=run,
        )
    error = caught.value
    assert error.step == bad_step and error.term == "data_misfit"
    assert f"at step {bad_step}" in str(error) and "'data_misfit'" in str(error)
    checkpoints = list_checkpoints(run.checkpoints_dir)
    last_good = (bad_step // 40) * 40
    assert [int(p.stem.split("_")[1]) for p in checkpoints] == list(range(40, last_good + 1, 40))
    if checkpoints:
        template = jax.tree.map(jnp.zeros_like, _template_state(getkey))
        state, meta = load_checkpoint(checkpoints[-1], template)
        assert int(state.step) == last_good == meta["step"]
        assert bool(jnp.all(jnp.isfinite(state.params.a)))


def _template_state(getkey):

    optimizer = make_optimizer(OptimizerConfig())
    state, _ = initial_state(
        Slope(jnp.zeros(())), fit_terms, optimizer, getkey(), None, NaNAtStep(0), None
    )
    return state


def test_checkpoint_keeps_last_and_ignores_partial_files(tmp_path):
    tree = {"w": jnp.arange(3.0), "step": jnp.asarray(1)}
    for step in (10, 20, 30, 40):
        save_checkpoint(tmp_path, step, tree, {"phase": 0}, keep_last=2)
    # A crash mid-write leaves only a temporary file, which is never taken for a checkpoint.
    (tmp_path / ".ckpt_000000050.npz.abc.tmp").write_bytes(b"partial")
    assert [p.name for p in list_checkpoints(tmp_path)] == [
        "ckpt_000000030.npz",
        "ckpt_000000040.npz",
    ]
    restored, meta = load_checkpoint(list_checkpoints(tmp_path)[-1], tree)
    assert meta["step"] == 40 and np.array_equal(restored["w"], tree["w"])
    with pytest.raises(ValueError, match="expects"):
        load_checkpoint(list_checkpoints(tmp_path)[-1], {"w": jnp.zeros(4), "step": jnp.asarray(1)})
