"""The README's Python example runs as written and does what it says."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_resumes(tmp_path, monkeypatch):
    code = re.search(
        r"## The Python API in 20 lines\s+```python\n(.*?)```", README.read_text(), re.S
    )
    source = code.group(1)
    assert len(source.strip().splitlines()) <= 20
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(source, "README.md", "exec"), namespace)
    history = namespace["result"].history
    assert history[-1]["step"] == 4200 and history[-1]["loss"] < 1e-4
    assert (tmp_path / "runs/mine/checkpoints/ckpt_000004200.npz").exists()
    # "rerun after a crash: it resumes": a rerun finds the final checkpoint and trains no more.
    again: dict = {}
    exec(compile(source, "README.md", "exec"), again)
    final = again["result"].model
    np.testing.assert_array_equal(
        final.layers[0].weight, namespace["result"].model.layers[0].weight
    )


def test_readme_vectorized_residual_equals_vmapped():
    code = re.search(r"## PINN residuals, fast.*?```python\n(.*?)```", README.read_text(), re.S)
    namespace: dict = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    from sciml_jax.losses import residual_loss

    vmapped = residual_loss(namespace["pde"].residual, namespace["model"], namespace["points"])
    np.testing.assert_allclose(namespace["loss"], vmapped, rtol=1e-5)


def test_readme_profiled_coefficients_recover_the_front():
    code = re.search(r"## Inverse problems.*?```python\n(.*?)```", README.read_text(), re.S)
    namespace: dict = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    np.testing.assert_allclose(namespace["coefficients"], [1.0, 0.05], rtol=1e-4)
