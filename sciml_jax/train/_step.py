"""One optimizer step, and a `lax.scan` chunk of them, as pure functions."""

import dataclasses
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import optax
from jaxtyping import PyTree

from .._types import Key
from ..sampling import AbstractSampler
from ._state import AbstractWeighting, TrainState

LossFn = Callable[[Any, PyTree, Key], Any]
RESERVED_METRICS = ("loss", "grad_norm", "step")


def as_terms(output: Any) -> dict[str, jax.Array]:
    """A loss function may return a scalar or a dict of named terms; make it a dict."""
    if isinstance(output, dict):
        for name in output:
            if name in RESERVED_METRICS and len(output) > 1:
                raise ValueError(
                    f"loss term name {name!r} is reserved for the loop's own metrics "
                    f"({', '.join(RESERVED_METRICS)}); rename the term"
                )
        return output
    return {"loss": output}


def weighted_total(terms: dict, weights: dict) -> jax.Array:
    return sum(weights[name] * value for name, value in terms.items())


def make_step(
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    static: PyTree,
    *,
    needs_value_fn: bool = False,
    reuse_linesearch_value: bool = False,
    weighting: AbstractWeighting | None = None,
    frozen: PyTree | None = None,
) -> Callable[[TrainState, PyTree, Key], tuple[TrainState, dict]]:
    """Build `step(state, batch, key) -> (state, metrics)` for a loss of an equinox model.

    **Arguments:**

    - `loss_fn`: `loss_fn(model, batch, key)` returning a scalar or a dict of named terms.
      The minimised loss is `sum(weights[name] * term)`.
    - `optimizer`: an optax transformation.
    - `static`: the non-trainable part of the model (from `eqx.partition`).
    - `needs_value_fn`: pass `value`, `grad` and `value_fn` to `optimizer.update`
      (optax L-BFGS with a line search).
    - `reuse_linesearch_value`: take the loss and gradient at the current parameters
      from the line search's state (it evaluated them at the point it accepted) instead
      of evaluating them again: one loss-and-gradient evaluation per step instead of two.
      Only valid when the loss is the same function from step to step: a fixed batch,
      a loss that ignores the key, weights that change only at `weighting.every` (the
      value is recomputed at those steps). With several loss terms, the terms for the
      metrics cost one extra forward pass; a single term is read off the total.
    - `weighting`: optional adaptive loss weighting, applied every `weighting.every` steps.
    - `frozen`: optional PyTree of bools shaped like `params`; `True` leaves get zero
      updates (fine-tuning part of a model).

    **Returns:** the pure step; `metrics` holds `loss`, each term and `grad_norm`.
    """

    def terms_of(params, batch, key):
        return as_terms(loss_fn(eqx.combine(params, static), batch, key))

    def total_of(params, weights, batch, key):
        terms = terms_of(params, batch, key)
        return weighted_total(terms, weights), terms

    def freeze(tree):
        if frozen is None:
            return tree
        return jax.tree.map(
            lambda leaf, is_frozen: None if leaf is None else jnp.where(is_frozen, 0, leaf),
            tree,
            frozen,
            is_leaf=lambda x: x is None,
        )

    def _from_linesearch(state, weights, batch, key):
        stored_value = optax.tree.get(state.opt_state, "value")
        stored_grad = optax.tree.get(state.opt_state, "grad")
        fresh = jnp.isfinite(stored_value)  # inf right after init
        if weighting is not None:
            fresh = fresh & (state.step % weighting.every != 0)  # weights just changed

        def evaluate(params):
            return jax.value_and_grad(lambda p: total_of(p, weights, batch, key)[0])(params)

        shapes = jax.eval_shape(evaluate, state.params)
        stored = jax.tree.map(
            lambda leaf, like: jnp.asarray(leaf, like.dtype).reshape(like.shape),
            (stored_value, stored_grad),
            shapes,
        )
        loss, grads = jax.lax.cond(fresh, lambda _: stored, evaluate, state.params)
        if len(weights) == 1:
            # One term is the total over its weight: no extra forward pass.
            (name,) = weights
            weight = weights[name]
            term = jax.lax.cond(
                weight != 0,
                lambda: loss / weight,
                lambda: terms_of(state.params, batch, key)[name].astype(loss.dtype),
            )
            terms = {name: term}
        else:
            terms = terms_of(state.params, batch, key)
        return loss, terms, grads

    def step(state: TrainState, batch: PyTree, key: Key) -> tuple[TrainState, dict]:
        weights = state.weights
        if weighting is not None:
            weights = jax.lax.cond(
                state.step % weighting.every == 0,
                lambda w: weighting.update(w, lambda p: terms_of(p, batch, key), state.params, key),
                lambda w: w,
                weights,
            )
        if reuse_linesearch_value:
            loss, terms, grads = _from_linesearch(state, weights, batch, key)
        else:
            (loss, terms), grads = jax.value_and_grad(total_of, has_aux=True)(
                state.params, weights, batch, key
            )
        grads = freeze(grads)
        if needs_value_fn:
            updates, opt_state = optimizer.update(
                grads,
                state.opt_state,
                state.params,
                value=loss,
                grad=grads,
                value_fn=lambda p: total_of(p, weights, batch, key)[0],
            )
        else:
            updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = eqx.apply_updates(state.params, freeze(updates))
        metrics = {"loss": loss, **terms, "grad_norm": optax.tree.norm(grads)}
        new_state = dataclasses.replace(
            state, params=params, opt_state=opt_state, weights=weights, step=state.step + 1
        )
        return new_state, metrics

    return step


def step_keys(state: TrainState, num_steps: int) -> Key:
    """The keys of the next `num_steps` steps: `fold_in(run key, step)`, so they depend
    only on the step number and a resumed run draws the same numbers. Made in one
    vectorised call rather than once per step."""
    steps = state.step + jnp.arange(num_steps, dtype=state.step.dtype)
    return jax.vmap(jr.fold_in, in_axes=(None, 0))(state.key, steps)


def draw_batch(
    state: TrainState, data: PyTree, sampler: AbstractSampler | None, step_key: Key
) -> tuple[PyTree, TrainState, Key]:
    """The batch for `state.step` and the key left for the loss."""
    if sampler is None:
        return data, state, step_key
    sample_key, step_key = jr.split(step_key)
    batch, sampler_state = sampler.sample(state.sampler_state, sample_key)
    return batch, dataclasses.replace(state, sampler_state=sampler_state), step_key


def scan_steps(step, state: TrainState, data: PyTree, sampler, num_steps: int):
    """`num_steps` steps in one `lax.scan`; returns the final state and stacked metrics."""

    def body(state, step_key):
        batch, state, key = draw_batch(state, data, sampler, step_key)
        return step(state, batch, key)

    return jax.lax.scan(body, state, step_keys(state, num_steps))
