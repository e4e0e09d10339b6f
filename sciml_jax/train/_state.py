"""Training state, and the loop's loss-weighting extension point (samplers: `sampling`)."""

import abc
from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PyTree

from .._types import Key


class TrainState(eqx.Module):
    """Everything a training run needs to continue exactly where it stopped.

    - `params`: the trainable array leaves of the model (`eqx.partition` form).
    - `opt_state`: the optax state.
    - `weights`: the weight of each named loss term.
    - `step`: the number of optimizer steps taken so far.
    - `key`: the run's base key; step `s` uses `fold_in(key, s)`, so a resumed run draws
      the same numbers as an uninterrupted one.
    - `sampler_state`: the data sampler's state (e.g. adaptive collocation points).
    """

    params: PyTree
    opt_state: PyTree
    weights: dict[str, Float[Array, ""]]
    step: Int[Array, ""]
    key: Key
    sampler_state: PyTree


class AbstractWeighting(eqx.Module):
    """Adapts the weights of named loss terms every `every` steps, inside the jitted loop.

    `update(weights, terms_fn, params, key)` gets `terms_fn(params) -> dict` of the
    unweighted terms at the current batch and returns new weights.
    """

    every: eqx.AbstractVar[int]

    @abc.abstractmethod
    def init(self, term_names: tuple[str, ...]) -> dict[str, Float[Array, ""]]:
        raise NotImplementedError

    @abc.abstractmethod
    def update(
        self,
        weights: dict[str, Float[Array, ""]],
        terms_fn: Callable[[PyTree], dict[str, Float[Array, ""]]],
        params: PyTree,
        key: Key,
    ) -> dict[str, Float[Array, ""]]:
        raise NotImplementedError


def unit_weights(term_names: tuple[str, ...]) -> dict[str, Float[Array, ""]]:
    return {name: jnp.ones(()) for name in term_names}
