"""The `sciml` command end to end: run directory layout, resume, list, module entry."""

import json
import subprocess
import sys

import numpy as np
import yaml
from test_config_fuzz import run_cli

from sciml_jax.train import list_checkpoints

ARGS = [
    "train.steps=400",
    "train.chunk_size=100",
    "train.checkpoint_every=200",
    "train.eval_every=200",
    "train.progress=false",
    "model.width=16",
    "name=smoke",
]


def test_run_writes_the_documented_layout_and_resume_continues(tmp_path):
    status, err, out = run_cli("run", "configs/regression.yaml", f"output_dir={tmp_path}", *ARGS)
    assert status == 0, err
    run = tmp_path / "regression" / "smoke"
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["train"]["steps"] == 400 and config["model"]["width"] == 16
    assert config["train"]["optimizer"]["b2"] == 0.999  # defaults are filled in
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [100, 200, 300, 400]
    assert "test_rel_l2" in records[1] and "test_rel_l2" not in records[0]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 400
    # The summary's error is the one of the saved prediction against its reference.
    with np.load(run / "prediction.npz") as prediction:
        u, ref = prediction["u"], prediction["reference"]
    np.testing.assert_allclose(
        summary["test_rel_l2"], np.linalg.norm(u - ref) / np.linalg.norm(ref), rtol=1e-4
    )
    assert {p.name for p in (run / "figures").iterdir()} == {"loss.png", "prediction.png"}
    assert [p.name for p in list_checkpoints(run / "checkpoints")] == [
        "ckpt_000000200.npz",
        "ckpt_000000400.npz",
    ]
    assert str(run) in out and "figures" in out

    # Resuming a finished run trains nothing more and keeps the log as it was.
    status, err, _ = run_cli("resume", str(run))
    assert status == 0, err
    again = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in again] == [100, 200, 300, 400]

    # The same name twice is refused with the way out.
    status, err, _ = run_cli("run", "configs/regression.yaml", f"output_dir={tmp_path}", *ARGS)
    assert status == 2 and "sciml resume" in err


def test_list_names_the_experiments():
    status, _, out = run_cli("list")
    assert status == 0 and any(line.startswith("regression ") for line in out.splitlines())


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "sciml_jax", "run", "configs/does_not_exist.yaml"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: configs/does_not_exist.yaml: config file not found; give the path of a YAML "
        "file such as configs/regression.yaml (`sciml list` shows the experiments)"
    ]


SHORT = [
    "train.steps=200",
    "train.chunk_size=100",
    "train.checkpoint_every=200",
    "train.progress=false",
    "model.width=16",
]


def test_same_config_and_seed_give_the_same_result(tmp_path):
    outputs = []
    for name in ("first", "second"):
        status, err, _ = run_cli(
            "run", "configs/regression.yaml", f"output_dir={tmp_path}", f"name={name}", *SHORT
        )
        assert status == 0, err
        with np.load(tmp_path / "regression" / name / "prediction.npz") as prediction:
            outputs.append(prediction["u"])
    assert np.array_equal(outputs[0], outputs[1])


def test_precision_float64_switch_runs_in_double(tmp_path, x64):
    status, err, _ = run_cli(
        "run",
        "configs/regression.yaml",
        f"output_dir={tmp_path}",
        "name=double",
        "precision=float64",
        *SHORT,
    )
    assert status == 0, err
    with np.load(tmp_path / "regression" / "double" / "prediction.npz") as prediction:
        assert prediction["u"].dtype == np.float64


def test_version_flag_prints_the_package_version(capsys):
    import importlib.metadata

    import pytest

    import sciml_jax
    from sciml_jax.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"sciml_jax {sciml_jax.__version__}"
    assert sciml_jax.__version__ == importlib.metadata.version("sciml_jax")
