"""Reading a moving front (a level crossing) off a sampled field."""

import jax.numpy as jnp
from jaxtyping import Array, Float


def read_front(
    field: Float[Array, "times x"], x: Float[Array, " x"], level: float
) -> Float[Array, " times"]:
    """The first x, from x[0], where each row of `field` falls below `level`.

    Linear interpolation between the two grid points around the crossing, e.g. the
    melting front of a Stefan problem read off its temperature field.

    **Arguments:**

    - `field`: shape `(len(t), len(x))`, one row per time.
    - `x`: the grid of the columns.
    - `level`: the value that marks the front.

    **Returns:** `(len(t),)` front positions; NaN where a row never falls below `level`.
    """
    below = field < level
    i = jnp.clip(jnp.argmax(below, axis=1), 1, None)
    rows = jnp.arange(field.shape[0])
    left, right = field[rows, i - 1], field[rows, i]
    front = x[i - 1] + (left - level) / (left - right) * (x[i] - x[i - 1])
    return jnp.where(jnp.any(below, axis=1), front, jnp.nan)
