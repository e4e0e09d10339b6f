"""A finished FNO run as an artifact: `sciml predict` on the inputs of its `prediction.npz`
reproduces the saved test predictions bit for bit, and bad inputs are refused with the
expected shape named, both through `load_run(...).predict` and the CLI's exit code."""

import re

import numpy as np
import pytest
from test_config_fuzz import run_cli

import sciml_jax

# fno_burgers_small cut to seconds: 20 training pairs at s = 64, two epochs
SHORT = [
    "data.num_train=20",
    "data.num_test=8",
    "data.train_resolution=64",
    "data.eval_resolutions=[64]",
    "data.solve_points=256",
    "data.grf_modes=256",
    "model.width=8",
    "model.modes=4",
    "model.num_layers=2",
    "protocol.epochs=2",
    "protocol.batch_size=10",
    "protocol.log_every_epochs=1",
    "train.chunk_size=2",
    "train.checkpoint_every=4",
    "train.progress=false",
    "name=artifact",
]


@pytest.fixture(scope="module")
def fno_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCIML_JAX_DATA", str(tmp_path_factory.mktemp("data")))
        status, err, _ = run_cli(
            "run", "configs/fno_burgers_small.yaml", f"output_dir={root}", *SHORT
        )
    assert status == 0, err
    return root / "fno_burgers" / "artifact"


def test_sciml_predict_reproduces_the_runs_test_predictions_bit_for_bit(fno_run, tmp_path):
    with np.load(fno_run / "prediction.npz") as saved:
        a, prediction = saved["a"], saved["prediction"]
    np.savez(tmp_path / "in.npz", a=a)
    status, err, _ = run_cli(
        "predict", str(fno_run), "--input", str(tmp_path / "in.npz"),
        "--output", str(tmp_path / "out.npz"),
    )  # fmt: skip
    assert status == 0, err
    with np.load(tmp_path / "out.npz") as out:
        assert np.array_equal(out["prediction"], prediction)
    run = sciml_jax.load_run(fno_run)
    assert run.input_key == "a" and run.input_shape() == (None, 1, None)
    assert np.array_equal(run.predict(a), prediction)
    # scalar normalisers: the saved model also takes other grids (zero-shot resolution)
    assert run.predict(np.repeat(a, 2, axis=-1)).shape == (a.shape[0], 1, 2 * a.shape[-1])


@pytest.mark.parametrize(
    "inputs, message",
    [
        (np.zeros((2, 64), np.float32), r"\(any, 1, any\)"),
        (np.zeros((2, 2, 64), np.float32), r"\(any, 1, any\)"),
        (np.zeros((2, 1, 64), np.float64), r"float32"),
        (np.zeros((2, 1, 64), np.int32), r"floating-point"),
    ],
    ids=["no-channel-axis", "two-channels", "float64", "integers"],
)
def test_wrong_shape_or_dtype_is_refused(fno_run, tmp_path, inputs, message):
    with pytest.raises(ValueError, match=message):
        sciml_jax.load_run(fno_run).predict(inputs)
    np.savez(tmp_path / "in.npz", a=inputs)
    status, err, out = run_cli(
        "predict", str(fno_run), "--input", str(tmp_path / "in.npz"),
        "--output", str(tmp_path / "out.npz"),
    )  # fmt: skip
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and not (tmp_path / "out.npz").exists()
    assert re.search(message, lines[0])


def test_an_input_file_without_the_key_is_refused(fno_run, tmp_path):
    np.savez(tmp_path / "in.npz", u=np.zeros((2, 1, 64), np.float32))
    status, err, _ = run_cli(
        "predict", str(fno_run), "--input", str(tmp_path / "in.npz"),
        "--output", str(tmp_path / "out.npz"),
    )  # fmt: skip
    assert status == 2 and "'a'" in err and "(None, 1, None)" in err


def test_readme_runs_as_artifacts_example(fno_run, tmp_path, monkeypatch):
    # the README's example on this module's short run, under the name the README uses
    import shutil
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = re.search(r"## Runs as artifacts(.*?)\n## ", readme, re.S).group(1)
    python, shell = re.findall(r"```(?:python|bash)\n(.*?)```", section, re.S)
    shutil.copytree(fno_run, tmp_path / "runs" / "fno_burgers" / "demo")
    monkeypatch.chdir(tmp_path)
    exec(compile(python, "README.md", "exec"), {})
    command = shell.split("#")[0].split()
    assert command[:2] == ["sciml", "predict"]
    assert run_cli(*command[1:])[0] == 0
    with np.load("out.npz") as out, np.load(fno_run / "prediction.npz") as saved:
        assert np.array_equal(out["prediction"], saved["prediction"])
