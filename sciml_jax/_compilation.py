"""Compile time: JAX's persistent compilation cache, and how long a run spent compiling.

A second run of the same config reads its executables from the cache instead of
compiling them again. `sciml run` turns the cache on in a per-user folder
(`$SCIML_COMPILATION_CACHE`, else `$XDG_CACHE_HOME/sciml_jax/jax`, else
`~/.cache/sciml_jax/jax`); `SCIML_COMPILATION_CACHE=off` or `sciml run --no-compile-cache`
turns it off.
"""

import os
import threading
from pathlib import Path

import jax

ENV_VAR = "SCIML_COMPILATION_CACHE"
# Lowering to MLIR and XLA's compilation (or reading it back from the cache); Python
# tracing is not counted, it is part of the run.
_COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)


def default_cache_dir() -> Path | None:
    """The cache folder `sciml run` uses, or `None` when `$SCIML_COMPILATION_CACHE=off`."""
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return None if chosen.lower() in ("off", "0", "false", "none") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sciml_jax" / "jax"


def enable_compilation_cache(folder: str | Path | None = None) -> Path | None:
    """Keep compiled executables in `folder` (default: `default_cache_dir()`) across runs.

    Every compilation is cached, however short (a run makes many small ones); a cache that cannot be
    created is reported and left off. Returns the folder in use, or `None` (off).
    """
    folder = default_cache_dir() if folder is None else Path(folder)
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"warning: compilation cache off: cannot create {folder} ({error})", flush=True)
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder


class CompileTimer:
    """Seconds spent compiling since `start()`, from JAX's own monitoring events.

    **Example:**

    ```python
    timer = CompileTimer.start()
    jax.jit(f)(x)
    print(timer.seconds)
    ```
    """

    _lock = threading.Lock()
    _total = 0.0
    _registered = False

    def __init__(self, offset: float):
        self._offset = offset

    @classmethod
    def _listen(cls, event: str, duration: float, **_) -> None:
        if event in _COMPILE_EVENTS:
            with cls._lock:
                cls._total += duration

    @classmethod
    def start(cls) -> "CompileTimer":
        with cls._lock:
            if not cls._registered:
                jax.monitoring.register_event_duration_secs_listener(cls._listen)
                cls._registered = True
            return cls(cls._total)

    @property
    def seconds(self) -> float:
        return type(self)._total - self._offset
