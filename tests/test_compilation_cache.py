"""The persistent compilation cache: a second identical run reads its executables back
instead of compiling them, and `--no-compile-cache` leaves no cache behind."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sciml_jax._compilation import default_cache_dir

ROOT = Path(__file__).resolve().parents[1]
RUN = ["configs/regression.yaml", "train.steps=40", "train.chunk_size=20",
       "train.checkpoint_every=20", "train.eval_every=null", "train.progress=false"]  # fmt: skip


def run(tmp_path: Path, name: str, cache: Path, *flags: str) -> dict:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "SCIML_COMPILATION_CACHE": str(cache)}
    command = [sys.executable, "-m", "sciml_jax", "run", *RUN, *flags]
    command += [f"output_dir={tmp_path}", f"name={name}"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((tmp_path / "regression" / name / "summary.json").read_text())


def test_a_second_identical_run_compiles_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    first = run(tmp_path, "first", cache)
    entries = sorted(p.name for p in cache.iterdir())
    assert entries, "the first run left nothing in the cache"
    second = run(tmp_path, "second", cache)
    # Lowering is still paid (it makes the cache key); XLA's compilation is not.
    assert second["compile_s"] < 0.5 * first["compile_s"]
    assert second["test_rel_l2"] == first["test_rel_l2"]  # the cached code is the same code
    assert sorted(p.name for p in cache.iterdir()) == entries  # nothing new compiled


def test_no_compile_cache_flag_writes_no_cache(tmp_path, monkeypatch):
    from sciml_jax.cli._main import _compile_cache, build_parser

    cache = tmp_path / "cache"
    monkeypatch.setenv("SCIML_COMPILATION_CACHE", str(cache))
    args = build_parser().parse_args(["run", "configs/regression.yaml", "--no-compile-cache"])
    _compile_cache(args)  # what `sciml run` does before the experiment
    assert not cache.exists()


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "none"])
def test_the_environment_variable_turns_it_off(monkeypatch, value):
    monkeypatch.setenv("SCIML_COMPILATION_CACHE", value)
    assert default_cache_dir() is None


def test_default_folder_is_per_user(monkeypatch, tmp_path):
    monkeypatch.delenv("SCIML_COMPILATION_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "sciml_jax" / "jax"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "sciml_jax" / "jax"
