"""A whole training run as one pure function, for `jax.vmap` over seeds or settings."""

from typing import Any

import equinox as eqx
import optax
from jaxtyping import Array, Float, PyTree

from .._types import Key
from ..sampling import AbstractSampler
from ._loop import initial_state
from ._state import AbstractWeighting
from ._step import LossFn, make_step, scan_steps


def train_pure(
    model: Any,
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    num_steps: int,
    *,
    key: Key,
    data: PyTree = None,
    sampler: AbstractSampler | None = None,
    weighting: AbstractWeighting | None = None,
    needs_value_fn: bool = False,
) -> tuple[Any, Float[Array, " num_steps"]]:
    """Train for `num_steps` in a single `lax.scan`: no host work, no files.

    The step is the one `fit` uses, so `train_pure` and `fit` with one chunk of
    `num_steps` give the same parameters. Because it is pure, it composes with
    `jax.vmap` (`eqx.filter_vmap` for models with non-array fields): train an ensemble
    over seeds, or sweep a learning rate given as an array to `optax.adam`.

    **Arguments:** as `fit`, with an explicit optax `optimizer` and `num_steps`.

    **Returns:** `(trained_model, loss_per_step)`.

    **Example:**

    ```python
    def one(key):
        model = eqx.nn.MLP(1, 1, 32, 2, key=key)
        return train_pure(model, loss, optax.adam(1e-3), 1000, key=key, data=batch)

    models, losses = eqx.filter_vmap(one)(jr.split(jr.key(0), 8))
    ```
    """
    state, static = initial_state(model, loss_fn, optimizer, key, data, sampler, weighting)
    step = make_step(loss_fn, optimizer, static, needs_value_fn=needs_value_fn, weighting=weighting)
    state, metrics = scan_steps(step, state, data, sampler, num_steps)
    return eqx.combine(state.params, static), metrics["loss"]
