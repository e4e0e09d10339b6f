"""On-disk dataset cache keyed by the recipe that generates the data.

A dataset is a dict of arrays produced by a pure function of a *recipe* (a JSON-able dict:
the PDE, its parameters, resolutions, sample counts, seed and a format version). The file
name is a hash of the canonical JSON of the recipe, so changing any ingredient generates a
new file and a second run with the same recipe loads the first one's arrays instead of
solving again. Files are written to a temporary name and renamed, so an interrupted
generation never leaves a truncated cache entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

__all__ = ["default_cache_dir", "recipe_hash", "cached_dataset", "generate_in_batches"]


def default_cache_dir() -> Path:
    """``$SCIML_JAX_DATA`` if set, else ``~/.cache/sciml_jax/datasets``."""
    return Path(os.environ.get("SCIML_JAX_DATA", Path.home() / ".cache" / "sciml_jax" / "datasets"))


def recipe_hash(recipe: dict) -> str:
    """First 16 hex digits of the SHA-256 of the recipe's canonical JSON."""
    try:
        text = json.dumps(recipe, sort_keys=True, separators=(",", ":"))
    except TypeError as error:
        raise ValueError(
            f"a dataset recipe must be JSON-serialisable (numbers, strings, lists, dicts); "
            f"got {recipe!r}: {error}"
        ) from error
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached_dataset(
    recipe: dict,
    build: Callable[[], dict[str, np.ndarray]],
    *,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
) -> dict[str, np.ndarray]:
    """Load the dataset for `recipe` from the cache, or `build()` it and store it.

    **Arguments:**

    - `recipe`: JSON-able dict that fully determines the data (include a ``"name"``).
    - `build`: zero-argument function returning a dict of arrays.
    - `cache_dir`: directory of the cache (default `default_cache_dir()`).
    - `use_cache`: False to always build and never write.

    **Returns:** dict of numpy arrays (the file also stores the recipe as ``__recipe__``).
    """
    if not use_cache:
        return {k: np.asarray(v) for k, v in build().items()}
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    name = str(recipe.get("name", "dataset"))
    path = directory / f"{name}-{recipe_hash(recipe)}.npz"
    if path.exists():
        with np.load(path) as stored:
            return {k: stored[k] for k in stored.files if k != "__recipe__"}
    arrays = {k: np.asarray(v) for k, v in build().items()}
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez(
        tmp,
        __recipe__=np.frombuffer(json.dumps(recipe, sort_keys=True).encode(), np.uint8),
        **arrays,
    )
    os.replace(tmp, path)
    return arrays


def generate_in_batches(
    fn: Callable, keys: jax.Array, batch_size: int, *, desc: str = "generating"
) -> np.ndarray | dict:
    """``vmap(fn)`` over `keys` in jitted batches, with a progress bar; results on host.

    `fn(key)` returns an array or a PyTree of arrays for one sample. The last batch is
    padded to `batch_size` (so everything compiles once) and the padding dropped.
    """
    num = keys.shape[0]
    batched = jax.jit(jax.vmap(fn))
    outputs = []
    with tqdm(total=num, desc=desc, unit="sample", dynamic_ncols=True) as bar:
        for start in range(0, num, batch_size):
            chunk = keys[start : start + batch_size]
            real = chunk.shape[0]
            if real < batch_size:
                chunk = jnp.concatenate([chunk, jnp.repeat(chunk[-1:], batch_size - real, 0)])
            result = jax.device_get(batched(chunk))
            outputs.append(jax.tree.map(lambda x, n=real: np.asarray(x)[:n], result))
            bar.update(real)
    return jax.tree.map(lambda *xs: np.concatenate(xs), *outputs)
