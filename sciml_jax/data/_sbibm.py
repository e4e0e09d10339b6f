"""sbibm's observations and reference posteriors, read straight out of the `sbibm` wheel.

The sbibm benchmark (Lueckmann et al. 2021) ships, for each task and observation
`k = 1..10`, the files

    sbibm/tasks/<task>/files/num_observation_<k>/observation.csv
    sbibm/tasks/<task>/files/num_observation_<k>/true_parameters.csv
    sbibm/tasks/<task>/files/num_observation_<k>/reference_posterior_samples.csv.bz2

inside its wheel (a zip). Installing sbibm pulls in torch, pyro and diffeqtorch, and
importing it runs that code, so neither is done here. Instead the wheel itself is the
pinned data source: `sbibm_wheel()` looks for `sbibm-1.1.0-py2.py3-none-any.whl` in the
cache folder (or at `$SCIML_JAX_SBIBM_WHEEL`) and, if it is missing, runs
`python -m pip download sbibm==1.1.0 --no-deps -d <cache>` once, which needs nothing but
pip and works on a fresh machine, against PyPI or a local index alike. The CSVs are then read
from the zip with `zipfile`, `bz2` and `csv`, and each (task, observation) is cached as
an `.npz` beside the wheel. A Makefile step (`pip install --no-deps sbibm`) was the other
choice; it was not taken because it would leave an importable-but-broken `sbibm` package
in the environment and tie the data to `make install`, while tests and notebooks call
this loader directly.
"""

from __future__ import annotations

import bz2
import csv
import dataclasses
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from ._cache import default_cache_dir

__all__ = ["SBIBM_TASKS", "SBIBMReference", "load_sbibm_csv", "load_sbibm_reference", "sbibm_wheel"]

SBIBM_VERSION = "1.1.0"
_WHEEL = f"sbibm-{SBIBM_VERSION}-py2.py3-none-any.whl"
_FORMAT_VERSION = 1
SBIBM_TASKS = (
    "two_moons",
    "gaussian_linear",
    "gaussian_linear_uniform",
    "gaussian_mixture",
    "slcp",
    "bernoulli_glm",
    "lotka_volterra",
    "sir",
)


@dataclasses.dataclass(frozen=True)
class SBIBMReference:
    """One sbibm observation with its ground truth.

    - `task`, `num_observation`: which one (observations are numbered 1..10).
    - `observation`: `(dim_x,)` float32, the observed data $x_o$.
    - `true_parameters`: `(dim_theta,)` float32, the $\\theta$ that generated $x_o$.
    - `reference_samples`: `(10000, dim_theta)` float32, sbibm's reference posterior draws.
    """

    task: str
    num_observation: int
    observation: np.ndarray
    true_parameters: np.ndarray
    reference_samples: np.ndarray


def _cache_folder(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir) if cache_dir is not None else default_cache_dir() / "sbibm"


def sbibm_wheel(cache_dir: str | Path | None = None) -> Path:
    """The path of the sbibm 1.1.0 wheel, downloaded once with pip if it is not cached.

    **Arguments:**

    - `cache_dir`: the folder for the wheel and the parsed arrays (default
      `default_cache_dir() / "sbibm"`). `$SCIML_JAX_SBIBM_WHEEL`, if set, names a wheel
      to use instead.

    **Returns:** the wheel's path.
    """
    override = os.environ.get("SCIML_JAX_SBIBM_WHEEL")
    if override:
        path = Path(override)
        if not path.is_file():
            raise FileNotFoundError(
                f"$SCIML_JAX_SBIBM_WHEEL = {override!r} is not a file; point it at "
                f"{_WHEEL} or unset it to let pip download the wheel."
            )
        return path
    folder = _cache_folder(cache_dir)
    path = folder / _WHEEL
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", f"sbibm=={SBIBM_VERSION}"]
    command += ["--no-deps", "--only-binary=:all:", "-d", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not path.is_file():
        raise RuntimeError(
            f"could not fetch {_WHEEL} with `{' '.join(command)}` (exit {done.returncode}):\n"
            f"{done.stderr[-2000:]}\nDownload the wheel by hand and put it in {folder}, "
            "or set $SCIML_JAX_SBIBM_WHEEL to its path."
        )
    return path


def _read_csv(archive: zipfile.ZipFile, name: str, compressed: bool = False) -> np.ndarray:
    raw = archive.read(name)
    text = (bz2.decompress(raw) if compressed else raw).decode()
    rows = list(csv.reader(io.StringIO(text)))
    return np.asarray([[float(v) for v in row] for row in rows[1:] if row], np.float32)


def load_sbibm_reference(
    task: str, num_observation: int = 1, *, cache_dir: str | Path | None = None
) -> SBIBMReference:
    """The observation, true parameters and reference posterior samples of an sbibm task.

    **Arguments:**

    - `task`: one of `SBIBM_TASKS` (`"two_moons"`, `"slcp"`, ...).
    - `num_observation`: 1..10.
    - `cache_dir`: as in `sbibm_wheel`.

    **Returns:** an `SBIBMReference`.

    **Example:**

    ```python
    ref = load_sbibm_reference("two_moons", 1)
    ref.observation            # [-0.6396706, 0.16234657]
    ref.reference_samples.shape  # (10000, 2)
    ```
    """
    if task not in SBIBM_TASKS:
        raise ValueError(f"unknown sbibm task {task!r}; choose one of {list(SBIBM_TASKS)}.")
    if not (isinstance(num_observation, int) and 1 <= num_observation <= 10):
        raise ValueError(
            f"num_observation = {num_observation!r}; sbibm has observations 1..10 per task."
        )
    folder = _cache_folder(cache_dir)
    cached = folder / f"{task}_obs{num_observation}_v{_FORMAT_VERSION}.npz"
    if cached.is_file():
        with np.load(cached) as f:
            arrays = {k: f[k] for k in f.files}
    else:
        base = f"sbibm/tasks/{task}/files/num_observation_{num_observation}/"
        with zipfile.ZipFile(sbibm_wheel(cache_dir)) as archive:
            arrays = {
                "observation": _read_csv(archive, base + "observation.csv")[0],
                "true_parameters": _read_csv(archive, base + "true_parameters.csv")[0],
                "reference_samples": _read_csv(
                    archive, base + "reference_posterior_samples.csv.bz2", compressed=True
                ),
            }
        folder.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, **arrays)
        os.replace(partial, cached)
    return SBIBMReference(task=task, num_observation=num_observation, **arrays)


def load_sbibm_csv(
    task: str, num_observation: int, filename: str, *, cache_dir: str | Path | None = None
) -> np.ndarray:
    """Another CSV of one sbibm observation's folder, as a float32 `(rows, columns)` array.

    For files beyond `load_sbibm_reference`'s three, e.g. `bernoulli_glm`'s
    `"observation_raw.csv"` (the 100-bin spike train behind the observed statistics).
    Not cached: these files are small.
    """
    if task not in SBIBM_TASKS:
        raise ValueError(f"unknown sbibm task {task!r}; choose one of {list(SBIBM_TASKS)}.")
    name = f"sbibm/tasks/{task}/files/num_observation_{num_observation}/{filename}"
    with zipfile.ZipFile(sbibm_wheel(cache_dir)) as archive:
        if name not in archive.namelist():
            raise FileNotFoundError(
                f"{name} is not in {archive.filename}; num_observation must be 1..10 and "
                f"filename one of that folder's files (observation.csv, true_parameters.csv, ...)."
            )
        return _read_csv(archive, name, compressed=filename.endswith(".bz2"))
