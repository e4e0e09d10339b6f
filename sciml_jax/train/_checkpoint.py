"""Checkpoints of the training state: atomic, self-describing, pruned to the last few."""

import io
import json
import re
from pathlib import Path
from typing import Any

import jax
import numpy as np
from jaxtyping import PyTree

from ._atomic import atomic_write

_NAME = re.compile(r"^ckpt_(\d{9})\.npz$")
_META = "__meta__"


def checkpoint_path(folder: Path, step: int) -> Path:
    return Path(folder) / f"ckpt_{step:09d}.npz"


def list_checkpoints(folder: str | Path) -> list[Path]:
    """Checkpoint files in `folder`, oldest first (temporary files are never listed)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]


def save_checkpoint(
    folder: str | Path, step: int, tree: PyTree, meta: dict, keep_last: int
) -> Path:
    """Write `tree` (any PyTree of arrays) and a JSON-able `meta` dict, atomically.

    The leaves are stored in flattening order; `load_checkpoint` needs a PyTree of the
    same structure to put them back. Older checkpoints beyond `keep_last` are removed
    only after the new one is safely on disk.
    """
    leaves = jax.device_get(jax.tree.leaves(tree))
    arrays = {f"leaf_{i:05d}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    arrays[_META] = np.frombuffer(json.dumps({**meta, "step": step}).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = atomic_write(checkpoint_path(folder, step), lambda f: f.write(buffer.getvalue()))
    for old in list_checkpoints(folder)[:-keep_last]:
        old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | Path, like: PyTree) -> tuple[PyTree, dict[str, Any]]:
    """Read a checkpoint into the structure of `like`; check shapes and dtypes match."""
    with np.load(path) as data:
        meta = json.loads(bytes(data[_META]).decode())
        stored = [data[f"leaf_{i:05d}"] for i in range(len(data.files) - 1)]
    template, treedef = jax.tree.flatten(like)
    if len(stored) != len(template):
        raise ValueError(
            f"checkpoint {path} holds {len(stored)} arrays but the model/optimizer has "
            f"{len(template)}; it was written by a different configuration. Resume with "
            "the run's own config.yaml, or start a new run."
        )
    for i, (saved, expected) in enumerate(zip(stored, template, strict=True)):
        if saved.shape != np.shape(expected) or saved.dtype != np.asarray(expected).dtype:
            raise ValueError(
                f"checkpoint {path}: array {i} is {saved.dtype}{list(saved.shape)} but the "
                f"model expects {np.asarray(expected).dtype}{list(np.shape(expected))}; was "
                "the config (sizes or precision) changed since the checkpoint was written?"
            )
    return jax.tree.unflatten(treedef, [jax.numpy.asarray(a) for a in stored]), meta
