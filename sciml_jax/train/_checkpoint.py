"""Checkpoints of the training state: atomic, checksummed, self-describing, pruned."""

import hashlib
import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

import jax
import numpy as np
from jaxtyping import PyTree

from ._atomic import atomic_write

_NAME = re.compile(r"^ckpt_(\d{9})\.npz$")
_META = "__meta__"
_CHECKSUM = "__sha256__"
_LEAF = "leaf_"


class CorruptCheckpointError(ValueError):
    """A checkpoint file that cannot be read back or fails its checksum."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"checkpoint {path} is corrupt ({reason})")


class CorruptCheckpointWarning(UserWarning):
    """A corrupt checkpoint was set aside and an older one used instead."""


def _digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over every entry's name, dtype, shape and bytes, in name order."""
    hasher = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        hasher.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()


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
    same structure to put them back. A SHA-256 of every entry is stored beside them and
    checked on load. Older checkpoints beyond `keep_last` are removed
    only after the new one is safely on disk.
    """
    leaves = jax.device_get(jax.tree.leaves(tree))
    arrays = {f"{_LEAF}{i:05d}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    arrays[_META] = np.frombuffer(json.dumps({**meta, "step": step}).encode(), dtype=np.uint8)
    arrays[_CHECKSUM] = np.frombuffer(_digest(arrays).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = atomic_write(checkpoint_path(folder, step), lambda f: f.write(buffer.getvalue()))
    for old in list_checkpoints(folder)[:-keep_last]:
        old.unlink(missing_ok=True)
    return path


def read_checkpoint(path: str | Path) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The stored leaves (in flattening order) and meta dict of a checkpoint, verified.

    **Raises:** `CorruptCheckpointError` when the file cannot be read (truncated, not a
    zip archive, a bad CRC) or its SHA-256 does not match. Checkpoints written before
    checksums were added (no `__sha256__` entry) load unverified beyond the zip CRCs.
    """
    try:
        # Opened here so that the file is closed even when np.load fails on it.
        with open(path, "rb") as f, np.load(f) as data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise
    except Exception as error:  # a damaged zip can fail in many ways: all mean corrupt
        raise CorruptCheckpointError(path, f"{type(error).__name__}: {error}") from None
    stored_digest = arrays.pop(_CHECKSUM, None)
    if stored_digest is not None and bytes(stored_digest).decode(errors="replace") != _digest(
        arrays
    ):
        raise CorruptCheckpointError(path, "SHA-256 mismatch")
    if _META not in arrays:
        raise CorruptCheckpointError(path, f"no {_META} entry")
    try:
        meta = json.loads(bytes(arrays.pop(_META)).decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptCheckpointError(path, f"unreadable meta: {error}") from None
    leaves = [arrays[name] for name in sorted(arrays) if name.startswith(_LEAF)]
    return leaves, meta


def newest_intact_checkpoint(
    folder: str | Path, *, set_aside: bool = True
) -> tuple[Path, list[np.ndarray], dict[str, Any]] | None:
    """The newest checkpoint in `folder` that reads back intact, with its leaves and meta.

    Each corrupt checkpoint met on the way (a disk that filled up, a node that lost
    power) is renamed to `<name>.corrupt`, so that it is neither used nor pruned in place
    of a good one, and reported with a `CorruptCheckpointWarning` naming the file.
    Returns `None` when no checkpoint is intact. A process that only reads the folder
    (a worker of a multi-process run) passes `set_aside=False` and leaves files alone.
    """
    for path in reversed(list_checkpoints(folder)):
        try:
            leaves, meta = read_checkpoint(path)
        except CorruptCheckpointError as error:
            if not set_aside:
                warnings.warn(f"{error}; skipping it", CorruptCheckpointWarning, stacklevel=2)
                continue
            aside = path.with_name(path.name + ".corrupt")
            path.replace(aside)
            warnings.warn(
                f"{error}; moved it to {aside.name} and resuming from the previous checkpoint",
                CorruptCheckpointWarning,
                stacklevel=2,
            )
            continue
        return path, leaves, meta
    return None


def restore(path: str | Path, stored: list[np.ndarray], like: PyTree) -> PyTree:
    """Put the leaves read from checkpoint `path` into the structure of `like`."""
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
    return jax.tree.unflatten(treedef, [jax.numpy.asarray(a) for a in stored])


def load_checkpoint(path: str | Path, like: PyTree) -> tuple[PyTree, dict[str, Any]]:
    """Read a checkpoint into the structure of `like`, verifying its checksum and that
    shapes and dtypes match. **Raises:** `CorruptCheckpointError`, `ValueError`."""
    stored, meta = read_checkpoint(path)
    return restore(path, stored, like), meta
