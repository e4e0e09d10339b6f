"""The folder of one run: resolved config, metrics, summary, figures, checkpoints."""

import datetime
import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ._atomic import atomic_write, atomic_write_text


def _plain(value: Any) -> Any:
    """JSON-safe form of numbers coming from JAX/NumPy (NaN and inf as strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and np.ndim(value) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class TornMetricsWarning(UserWarning):
    """A line of metrics.jsonl that is not valid JSON was dropped."""


class RunDir:
    """`runs/<experiment>/<run-name>/` with a fixed layout that scripts may rely on.

    - `config.yaml`: the resolved config (every default filled in).
    - `metrics.jsonl`: one JSON object per log step (`step`, `loss`, each term, ...).
    - `summary.json`: final figures.
    - `figures/`: PNG files.
    - `checkpoints/`: training state, written atomically.
    - `<name>.npz`: arrays such as `prediction.npz`.
    """

    def __init__(self, path: str | Path, *, checkpoints_from: str | Path | None = None):
        self.path = Path(path)
        self.figures_dir = self.path / "figures"
        self.checkpoints_dir = self.path / "checkpoints"
        # A worker process of a multi-process run reads the writer's checkpoints and
        # writes none of its own.
        self.writes_checkpoints = checkpoints_from is None
        if checkpoints_from is not None:
            self.checkpoints_dir = Path(checkpoints_from)
        self.metrics_path = self.path / "metrics.jsonl"
        self.summary_path = self.path / "summary.json"
        self.config_path = self.path / "config.yaml"
        for folder in (self.path, self.figures_dir, self.checkpoints_dir):
            folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_worker(cls, main: "RunDir", process_index: int) -> "RunDir":
        """Process `process_index`'s view of `main` (process 0 writes `main` itself): its
        logs, figures and summary under `workers/process-<i>/`, checkpoints read from
        `main`'s folder and never written."""
        return cls(
            main.path / "workers" / f"process-{process_index}",
            checkpoints_from=main.checkpoints_dir,
        )

    @classmethod
    def create(cls, output_dir: str | Path, experiment: str, name: str | None) -> "RunDir":
        """A new run folder; refuses to reuse a folder that already holds a run."""
        if name is None:
            name = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path(output_dir) / experiment / name
        if path.exists() and any(path.iterdir()):
            raise FileExistsError(
                f"run directory {path} already exists; continue it with "
                f"`sciml resume {path}` or choose another name=..."
            )
        return cls(path)

    def save_config(self, config: dict) -> None:
        atomic_write_text(self.config_path, yaml.safe_dump(config, sort_keys=False))

    def log(self, record: dict) -> None:
        """Append one line to metrics.jsonl (flushed, so a killed run keeps its log)."""
        with open(self.metrics_path, "a") as f:
            f.write(json.dumps(_plain(record)) + "\n")

    def read_metrics(self) -> list[dict]:
        """The records of metrics.jsonl; a torn line is dropped with a `TornMetricsWarning`.

        A run killed (or a disk that filled up) mid-write can leave half a JSON line at the
        end of the file; it names a step the resumed run recomputes anyway.
        """
        if not self.metrics_path.exists():
            return []
        records = []
        with open(self.metrics_path) as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    warnings.warn(
                        f"{self.metrics_path}: line {number} is not valid JSON (a torn "
                        f"write?), dropped: {line.strip()[:60]!r}",
                        TornMetricsWarning,
                        stacklevel=2,
                    )
        return records

    def truncate_metrics(self, after_step: int) -> None:
        """Drop log lines past `after_step`: a resumed run recomputes them."""
        kept = [r for r in self.read_metrics() if r.get("step", 0) <= after_step]
        atomic_write_text(self.metrics_path, "".join(json.dumps(r) + "\n" for r in kept))

    def write_summary(self, summary: dict) -> None:
        """Merge `summary` into summary.json."""
        current = self.read_summary()
        current.update(_plain(summary))
        atomic_write_text(self.summary_path, json.dumps(current, indent=2) + "\n")

    def read_summary(self) -> dict:
        if not self.summary_path.exists():
            return {}
        return json.loads(self.summary_path.read_text())

    def save_npz(self, name: str, **arrays: Any) -> Path:
        """Save arrays to `<name>.npz` in the run folder, atomically."""
        path = self.path / (name if name.endswith(".npz") else f"{name}.npz")
        buffer = io.BytesIO()
        np.savez(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
        return atomic_write(path, lambda f: f.write(buffer.getvalue()))

    def save_figure(self, figure: Any, name: str, *, dpi: int = 120) -> Path:
        """Save a matplotlib figure as `figures/<name>.png` and close it."""
        import matplotlib.pyplot as plt

        path = self.figures_dir / (name if name.endswith(".png") else f"{name}.png")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        plt.close(figure)
        return atomic_write(path, lambda f: f.write(buffer.getvalue()))
