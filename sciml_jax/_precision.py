"""Switching between float32 (the default) and float64 end to end."""

from typing import Literal

import jax

Precision = Literal["float32", "float64"]


def set_precision(precision: Precision) -> None:
    """Select the floating-point precision of every array created afterwards.

    JAX fixes the default dtype when arrays are created, so call this before building
    models, grids or data. `"float64"` turns on `jax_enable_x64`.

    **Arguments:**

    - `precision`: `"float32"` or `"float64"`.
    """
    if precision not in ("float32", "float64"):
        raise ValueError(
            f"precision must be 'float32' or 'float64', got {precision!r}; "
            "set `precision: float64` in the config for double precision."
        )
    jax.config.update("jax_enable_x64", precision == "float64")


def enable_float64() -> None:
    """Shorthand for `set_precision("float64")`."""
    set_precision("float64")


def default_float_dtype():
    """The dtype that `jnp.zeros(...)` and friends produce under the current precision."""
    return jax.numpy.zeros(()).dtype
