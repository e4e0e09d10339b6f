"""Two processes x two CPU devices, joined by `jax.distributed` on 127.0.0.1, give the
one-process result; a worker killed mid-run is resumed from the shared checkpoints.

Every run is a `python -m sciml_jax` subprocess (a process joins one distributed job
for its lifetime, so the test process itself cannot).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    "JAX_PLATFORMS": "cpu",
    "SCIML_COMPILATION_CACHE": "off",
}
SETTINGS = [
    "precision=float64",
    "train.steps=60",
    "train.eval_every=null",
    "train.progress=false",
    "devices=all",
]
CHUNKS = ["train.chunk_size=20", "train.checkpoint_every=20"]


def sciml(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sciml_jax", *args]
    return subprocess.run(
        command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout
    )


def losses(folder: Path) -> dict[int, float]:
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in records}


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single")
    done = sciml("run", "configs/regression.yaml", *SETTINGS, *CHUNKS, "devices=1",
                 f"output_dir={out}", "name=one")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return out / "regression" / "one"


def test_two_processes_of_two_devices_give_the_one_process_result(one_process, tmp_path):
    done = sciml("run", "configs/regression.yaml", *SETTINGS, *CHUNKS, f"output_dir={tmp_path}",
                 "name=two", "--processes", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    run = tmp_path / "regression" / "two"
    reference = losses(one_process)
    assert sorted(losses(run)) == sorted(reference) == [20, 40, 60]
    np.testing.assert_allclose(list(losses(run).values()), list(reference.values()), rtol=1e-12)
    assert summary(run)["test_rel_l2"] == pytest.approx(
        summary(one_process)["test_rel_l2"], rel=1e-10
    )
    # Process 0 wrote the run and its checkpoints; process 1 wrote only its own copy.
    assert len(list((run / "checkpoints").glob("*.npz"))) >= 1
    worker = run / "workers" / "process-1"
    assert not (worker / "checkpoints").exists()
    assert summary(worker)["test_rel_l2"] == summary(run)["test_rel_l2"]


def worker_pid(launcher: subprocess.Popen, index: int) -> int | None:
    children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children")
    for pid in children.read_text().split():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"SCIML_PROCESS_ID={index}".encode() in environ:
            return int(pid)
    return None


def test_killing_one_worker_stops_the_run_and_resume_finishes_it(one_process, tmp_path):
    # One step per chunk and a checkpoint after each: a long window to kill in.
    run = tmp_path / "regression" / "killed"
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sciml_jax",
            "run",
            "configs/regression.yaml",
            *SETTINGS,
            "train.chunk_size=1",
            "train.checkpoint_every=1",
            f"output_dir={tmp_path}",
            "name=killed",
            "--processes",
            "2",
        ],  # fmt: skip
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while len(list((run / "checkpoints").glob("*.npz"))) < 2:
        assert launcher.poll() is None, launcher.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "no checkpoint within 240 s"
        time.sleep(0.05)
    pid = worker_pid(launcher, 1)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _, stderr = launcher.communicate(timeout=120)
    assert launcher.returncode != 0
    assert "process 1 of 2 exited with status -9" in stderr
    assert f"sciml resume {run} --processes 2" in stderr
    assert not (run / "summary.json").exists() or summary(run).get("status") != "completed"
    stopped_at = max(losses(run)) if (run / "metrics.jsonl").exists() else 0
    assert stopped_at < 60, "the run ended before the kill; the test killed nothing"

    done = sciml("resume", str(run), "--processes", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    resumed, reference = losses(run), losses(one_process)
    assert sorted(resumed) == list(range(1, 61))  # every step logged once
    np.testing.assert_allclose([resumed[s] for s in (20, 40, 60)], list(reference.values()),
                               rtol=1e-12)  # fmt: skip
    assert summary(run)["status"] == "completed"
    assert summary(run)["test_rel_l2"] == pytest.approx(
        summary(one_process)["test_rel_l2"], rel=1e-10
    )
