"""A potential on disk: `potential.json` (what to build) beside `potential.eqx` (its arrays).

The JSON names the model kind, its hyperparameters, the elements, the cutoff and the
precision, so a potential loads without the experiment that trained it: any run that
saved one (`emt_cu_potential`, `qm9_u0`, a user's own script) is usable by
`SciMLCalculator.from_run`. Both files are written atomically.
"""

import io
import json
from pathlib import Path

import equinox as eqx
import jax.random as jr

from .._precision import set_precision
from ..train import atomic_write
from ._potential import Potential, make_potential

SPEC_FILE = "potential.json"
ARRAYS_FILE = "potential.eqx"
FORMAT_VERSION = 1


def save_potential(directory, potential: Potential, *, kind: str, hyperparameters: dict) -> Path:
    """Write `potential` to `directory/potential.{json,eqx}`; returns the JSON's path.

    `kind` and `hyperparameters` are what `make_potential` was given, so that
    `load_potential` can rebuild the same structure.
    """
    directory = Path(directory)
    spec = {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "hyperparameters": dict(hyperparameters),
        "atomic_numbers": list(potential.atomic_numbers),
        "cutoff": potential.cutoff,
        "precision": "float64" if potential.scale.dtype.itemsize == 8 else "float32",
    }
    buffer = io.BytesIO()
    eqx.tree_serialise_leaves(buffer, potential)
    atomic_write(directory / ARRAYS_FILE, lambda f: f.write(buffer.getvalue()))
    return atomic_write(
        directory / SPEC_FILE, lambda f: f.write(json.dumps(spec, indent=1).encode())
    )


def load_potential(directory) -> tuple[Potential, dict]:
    """The `Potential` saved in `directory` (a run folder) and its spec dict."""
    directory = Path(directory)
    if not (directory / SPEC_FILE).is_file() or not (directory / ARRAYS_FILE).is_file():
        raise FileNotFoundError(
            f"{directory} has no {SPEC_FILE} and {ARRAYS_FILE}; give the folder of a finished "
            "run that trained a potential (runs/emt_cu_potential/<name>), or save one with "
            "sciml_jax.potentials.save_potential."
        )
    spec = json.loads((directory / SPEC_FILE).read_text())
    if spec.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{directory / SPEC_FILE} has format_version {spec.get('format_version')}; this "
            f"version of sciml_jax reads {FORMAT_VERSION}."
        )
    if spec["precision"] == "float64":
        set_precision("float64")
    template = make_potential(
        spec["kind"],
        spec["atomic_numbers"],
        cutoff=spec["cutoff"],
        key=jr.key(0),
        **spec["hyperparameters"],
    )
    return eqx.tree_deserialise_leaves(directory / ARRAYS_FILE, template), spec
