"""A finished run as an artifact: its trained model saved beside the config, loaded back
ready to call, and applied to new inputs.

An experiment whose run trains a reusable model opts in with three module-level names:

- `model_template(config) -> eqx.Module`: the untrained model, same structure as the one
  the run saves (for `eqx.tree_deserialise_leaves`); cheap, builds no data.
- `INPUT_KEY`: the key of the inputs in an `in.npz` (`"a"` for operators, `"points"`
  for PINNs), and `input_shape(config) -> tuple[int | None, ...]`, the shape the model
  takes for a batch, `None` where any size goes (the batch axis, a grid size).
- `predict(model, inputs) -> array`: the function the run itself used to write its
  predictions, so `sciml predict` reproduces them bit for bit.

At the end of `run(config, run_dir)` the experiment calls `save_model(run_dir, model)`.
"""

import dataclasses
import io
from pathlib import Path
from types import ModuleType
from typing import Any

import equinox as eqx
import numpy as np

from ..config import ConfigError, load_yaml, parse_config
from ..train import RunDir, atomic_write
from ._registry import load_experiment

MODEL_FILE = "model.eqx"


def save_model(run: RunDir, model: eqx.Module) -> Path:
    """Write the trained model's array leaves to `run/model.eqx`, atomically."""
    buffer = io.BytesIO()
    eqx.tree_serialise_leaves(buffer, model)
    return atomic_write(Path(run.path) / MODEL_FILE, lambda f: f.write(buffer.getvalue()))


@dataclasses.dataclass(frozen=True)
class LoadedRun:
    """A finished run: its parsed `config`, its trained `model` and its `experiment` module."""

    path: Path
    config: Any
    model: eqx.Module
    experiment: ModuleType

    @property
    def input_key(self) -> str:
        return self.experiment.INPUT_KEY

    def input_shape(self) -> tuple[int | None, ...]:
        return tuple(self.experiment.input_shape(self.config))

    def predict(self, inputs) -> np.ndarray:
        """The model applied to `inputs`, checked against the run's input shape and dtype."""
        inputs = check_inputs(inputs, self.input_shape(), self._dtype(), self.input_key)
        return np.asarray(self.experiment.predict(self.model, inputs))

    def _dtype(self) -> np.dtype:
        return np.dtype("float64" if self.config.precision == "float64" else "float32")


def load_run(run_dir: str | Path) -> LoadedRun:
    """Load a finished run written by `sciml run`: its config and its trained model.

    ```python
    import sciml_jax
    run = sciml_jax.load_run("runs/fno_burgers/fno_burgers_small")
    u1 = run.predict(a)                 # a: (samples, 1, grid), as the run's own inputs
    model = run.model                   # an equinox module, ready to call on one sample
    ```
    """
    from .. import set_precision

    path = Path(run_dir)
    source = str(path / "config.yaml")
    if not (path / "config.yaml").is_file():
        raise ConfigError(
            "no config.yaml here; give a run directory written by `sciml run` "
            "(runs/<experiment>/<run-name>)",
            source=str(path),
        )
    raw = load_yaml(source)
    experiment = load_experiment(raw.get("experiment"), source=source)
    config = parse_config(experiment.Config, raw, source=source)
    if not hasattr(experiment, "model_template"):
        raise ConfigError(
            f"experiment {config.experiment!r} does not save a reusable model (it defines no "
            "model_template); only runs of experiments that do can be loaded",
            source=str(path),
        )
    if not (path / MODEL_FILE).is_file():
        raise ConfigError(
            f"no {MODEL_FILE} here: the run has not finished (continue it with `sciml resume "
            f"{path}`), or it was written before models were saved (rerun it)",
            source=str(path),
        )
    set_precision(config.precision)
    template = experiment.model_template(config)
    model = eqx.tree_deserialise_leaves(path / MODEL_FILE, template)
    return LoadedRun(path, config, model, experiment)


def check_inputs(inputs, shape: tuple[int | None, ...], dtype: np.dtype, key: str) -> np.ndarray:
    """`inputs` as an array, or a ValueError naming the expected shape and dtype."""
    expected = "(" + ", ".join("any" if n is None else str(n) for n in shape) + ")"
    array = np.asarray(inputs)
    if array.ndim != len(shape) or any(
        n is not None and n != m for n, m in zip(shape, array.shape, strict=True)
    ):
        raise ValueError(
            f"'{key}' has shape {array.shape}; this run's model takes {expected} "
            f"({len(shape)} axes, 'any' where any size goes), as the run's own inputs."
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"'{key}' has dtype {array.dtype}; this run's model takes floating-point "
            f"inputs ({dtype}); convert with .astype('{dtype}')."
        )
    if array.dtype != dtype:
        raise ValueError(
            f"'{key}' has dtype {array.dtype}; this run was trained in {dtype} "
            f"(precision in its config.yaml); convert with .astype('{dtype}')."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"'{key}' holds NaN or inf values; the model needs finite inputs.")
    return array


def predict_file(run_dir: str | Path, input_path: str | Path, output_path: str | Path) -> Path:
    """`sciml predict`: read the inputs from `input_path`, write `prediction` to `output_path`."""
    run = load_run(run_dir)
    with np.load(input_path) as data:
        if run.input_key not in data:
            raise ValueError(
                f"{input_path} holds {sorted(data.files)}; expected the key "
                f"'{run.input_key}' with shape {run.input_shape()}."
            )
        inputs = data[run.input_key]
    prediction = run.predict(inputs)
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(output_path, lambda f: np.savez(f, prediction=prediction))
    return output_path
