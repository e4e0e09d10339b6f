"""Freeze masks for fine-tuning: which leaves of a model `fit` may change."""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import numpy as np
from jaxtyping import PyTree


def freeze_except(model: Any, where: Callable[[Any], Any]) -> PyTree:
    """The mask for `fit(..., frozen=mask)` that trains only the part `where(model)` selects.

    Transfer learning re-fits a pretrained network to a new task. Training all of it
    (full fine-tuning) needs no mask; training only its head keeps the features the
    source task taught and fits few parameters, as a linear probe does:

    $$ \\theta_{\\mathrm{frozen}}^{(s)} = \\theta_{\\mathrm{frozen}}^{(0)}
       \\quad \\text{for every step } s. $$

    `fit` zeroes the gradient and the optimizer update of every masked leaf, so frozen
    leaves stay bit-identical (weight decay does not touch them either).

    **Arguments:**

    - `model`: the equinox model `fit` will train.
    - `where`: `where(model)` returns the trainable part: a sub-module, an array, or a
      tuple of them, as for `equinox.tree_at`. E.g. `lambda m: m.layers[-1]` (an MLP's
      output layer) or `lambda m: (m.project_hidden, m.project_out)` (an FNO's projection).

    **Returns:** a PyTree of bools shaped like `model`: `False` on the floating-point
    arrays inside `where(model)`, `True` everywhere else.

    **Example:**

    ```python
    mask = freeze_except(fno, lambda m: (m.project_hidden, m.project_out))
    result = fit(fno, loss_fn, config.train, key=key, sampler=sampler, frozen=mask)
    ```
    """
    mask = jax.tree.map(lambda _: True, model)
    try:
        mask = eqx.tree_at(where, mask, replace_fn=lambda node: jax.tree.map(lambda _: False, node))
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"freeze_except: `where` failed on the {type(model).__name__} it was given "
            f"({type(error).__name__}: {error}); it must pick a part of the model, e.g. "
            "lambda m: m.layers[-1]"
        ) from error
    if not count_trainable(model, mask):
        raise ValueError(
            f"freeze_except: `where` selects no floating-point arrays of the "
            f"{type(model).__name__}, so nothing would train; select a sub-module that "
            "holds weights, e.g. lambda m: m.layers[-1]"
        )
    return mask


def count_trainable(model: Any, frozen: PyTree | None = None) -> int:
    """The number of scalars `fit(model, ..., frozen=frozen)` trains (all of them if
    `frozen` is `None`)."""
    params = jax.tree.leaves(eqx.filter(model, eqx.is_inexact_array))
    if frozen is None:
        return int(sum(np.size(p) for p in params))
    flags = jax.tree.leaves(eqx.filter(frozen, jax.tree.map(eqx.is_inexact_array, model)))
    return int(sum(np.size(p) for p, is_frozen in zip(params, flags, strict=True) if not is_frozen))
