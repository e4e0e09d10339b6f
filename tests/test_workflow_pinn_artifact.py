"""A finished PINN run as an artifact: `load_run(...).predict` on the grid points of its
`prediction.npz` reproduces the saved field bit for bit, and bad inputs are refused."""

import numpy as np
import pytest
from test_config_fuzz import run_cli

import sciml_jax

SHORT = [
    "train.steps=100",
    "train.chunk_size=50",
    "train.lbfgs_steps=0",
    "train.eval_every=null",
    "train.checkpoint_every=100",
    "train.progress=false",
    "problem.n_residual=256",
    "name=artifact",
]


@pytest.fixture(scope="module")
def burgers_run(tmp_path_factory):
    import jax

    previous = jax.config.jax_enable_x64
    root = tmp_path_factory.mktemp("runs")
    status, err, _ = run_cli("run", "configs/burgers_pinn_demo.yaml", f"output_dir={root}", *SHORT)
    assert status == 0, err
    yield root / "burgers_pinn" / "artifact"
    jax.config.update("jax_enable_x64", previous)


def test_loaded_burgers_pinn_reproduces_its_prediction_bit_for_bit(burgers_run):
    run = sciml_jax.load_run(burgers_run)
    assert run.input_key == "points" and run.input_shape() == (None, 2)
    with np.load(burgers_run / "prediction.npz") as saved:
        x, t, u = saved["x"], saved["t"], saved["u"]
    points = np.stack(np.meshgrid(x, t, indexing="xy"), -1).reshape(-1, 2)
    prediction = run.predict(points)
    assert prediction.shape == (len(t) * len(x),)
    assert np.array_equal(prediction.reshape(u.shape), u)


@pytest.mark.parametrize(
    "inputs",
    [np.zeros((10, 3)), np.zeros((10,)), np.zeros((10, 2), np.float32), np.zeros((10, 2), int)],
    ids=["three-coordinates", "one-axis", "float32", "integers"],
)
def test_loaded_burgers_pinn_refuses_wrong_shape_or_dtype(burgers_run, inputs):
    run = sciml_jax.load_run(burgers_run)
    with pytest.raises(ValueError, match=r"\(any, 2\)|float64"):
        run.predict(inputs)
