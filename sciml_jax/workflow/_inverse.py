"""What the inverse and design experiments share: an unknown field for `fit` to optimise,
a gradient check before the fit, and the memory the gradient through a rollout takes with
and without checkpointing.

Gradients through a simulator recover what it was fed (an initial condition, a source, a
coefficient field) from what it produced. Each experiment writes its own loss (misfit plus
a regulariser); these helpers are the steps around it.
"""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax

from ..analysis import compiled_memory_bytes, gradient_check
from ..train import FitResult, fit


class TrainableField(eqx.Module):
    """An unknown array for `fit` to optimise (an initial condition, a source term, a
    log-permeability): the model of an inverse problem is the unknown itself."""

    field: jax.Array


def fit_checked(
    loss_fn, model, data, train_config, *, key, run, check_at, epsilon: float, direction=None
) -> tuple[FitResult, float]:
    """`gradient_check` of the total loss at `check_at` along `direction` (step `epsilon`),
    then `fit(model, loss_fn, train_config, key=key, data=data, run=run)`.

    `loss_fn(model, batch, key)` returns a scalar or a dict of terms (summed for the check).
    `direction` defaults to a standard normal draw from `key`, shaped like `check_at`.

    **Returns:** the fit result and the check's relative difference between the
    autodiff and finite-difference directional derivatives.
    """

    def total(m):
        loss = loss_fn(m, data, None)
        return sum(loss.values()) if isinstance(loss, dict) else loss

    if direction is None:
        direction = jax.tree.map(lambda x: jax.random.normal(key, x.shape), check_at)
    check = gradient_check(total, check_at, direction, epsilon=epsilon)
    result = fit(model, loss_fn, train_config, key=key, data=data, run=run)
    return result, check["relative_difference"]


def gradient_memory(objective: Callable[[Any, bool], jax.Array], params) -> dict:
    """Peak compiled memory of `jax.grad(objective(., checkpoint))` at `params`, without and
    with `checkpoint` (rematerialising rollout segments in the backward pass).

    **Returns:** `gradient_memory_bytes_no_checkpoint` and `gradient_memory_bytes_checkpoint`.
    """

    def gradient(checkpoint):
        return lambda x: jax.grad(lambda x: objective(x, checkpoint))(x)

    memory = {flag: compiled_memory_bytes(gradient(flag), params) for flag in (False, True)}
    return {
        "gradient_memory_bytes_no_checkpoint": memory[False],
        "gradient_memory_bytes_checkpoint": memory[True],
    }
