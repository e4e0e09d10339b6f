"""Batches from stored data: minibatches of a fixed dataset, windows of trajectories."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, PyTree

from .._types import Key
from ._base import AbstractSampler

__all__ = ["MinibatchSampler", "TrajectorySampler", "curriculum_horizon"]


class MinibatchSampler(AbstractSampler):
    """Minibatches without replacement over a fixed dataset, reshuffled every epoch.

    The epoch permutation and position live in the sampler state (saved in checkpoints),
    so a resumed run continues mid-epoch. With ``num_samples % batch_size != 0`` the last
    incomplete batch of each epoch is skipped, as PyTorch's ``drop_last=True``.

    **Arguments:** `arrays`, a PyTree of arrays sharing the leading sample axis;
    `batch_size`.

    **Returns:** `sample` yields the same PyTree with ``batch_size`` samples.

    ```python
    sampler = MinibatchSampler({"a": a_train, "u": u_train}, batch_size=20)
    fit(model, loss_fn, config.train, key=key, sampler=sampler)
    ```
    """

    arrays: PyTree
    batch_size: int = eqx.field(static=True)
    num_samples: int = eqx.field(static=True)

    def __init__(self, arrays: PyTree, batch_size: int):
        leaves = jax.tree.leaves(arrays)
        if not leaves:
            raise ValueError("MinibatchSampler got no arrays; pass e.g. {'a': a, 'u': u}.")
        sizes = {int(leaf.shape[0]) for leaf in leaves}
        if len(sizes) != 1:
            raise ValueError(
                f"MinibatchSampler arrays have different sample counts {sizes}; "
                "every array needs the same leading axis."
            )
        num = sizes.pop()
        if not 1 <= batch_size <= num:
            raise ValueError(
                f"batch_size={batch_size} with {num} samples; expected 1 <= batch_size <= {num}."
            )
        self.arrays = jax.tree.map(jnp.asarray, arrays)
        self.batch_size = int(batch_size)
        self.num_samples = num

    @property
    def steps_per_epoch(self) -> int:
        return self.num_samples // self.batch_size

    def init(self, key: Key) -> PyTree:
        return {
            "permutation": jr.permutation(key, self.num_samples),
            "position": jnp.zeros((), jnp.int32),
        }

    def sample(self, state: PyTree, key: Key) -> tuple[PyTree, PyTree]:
        exhausted = state["position"] + self.batch_size > self.num_samples
        permutation = jnp.where(
            exhausted, jr.permutation(key, self.num_samples), state["permutation"]
        )
        position = jnp.where(exhausted, 0, state["position"])
        index = jax.lax.dynamic_slice_in_dim(permutation, position, self.batch_size)
        batch = jax.tree.map(lambda a: jnp.take(a, index, axis=0), self.arrays)
        return batch, {"permutation": permutation, "position": position + self.batch_size}


def curriculum_horizon(count: Array, start: int, end: int, ramp_steps: int) -> Array:
    """Unroll horizon growing linearly from `start` to `end` over `ramp_steps` steps."""
    fraction = jnp.clip(count / max(ramp_steps, 1), 0.0, 1.0)
    return jnp.round(start + fraction * (end - start)).astype(jnp.int32)


class TrajectorySampler(AbstractSampler):
    """Random windows ``(u_n, ..., u_{n+K})`` from reference trajectories.

    **Arguments:**

    - `trajectories`: ``(num_trajectories, num_times, channels, *grid)``.
    - `batch_size`: windows per step.
    - `num_unroll`: K, the window holds K + 1 states.
    - `curriculum`: ``(start, ramp_steps)`` to grow the horizon from `start` to K over
      `ramp_steps` optimizer steps, or None (horizon K throughout).

    **Returns:** `sample` yields ``{"window": (batch, K+1, channels, *grid),
    "horizon": int}``.
    """

    trajectories: Float[Array, " traj time channels *grid"]
    batch_size: int = eqx.field(static=True)
    num_unroll: int = eqx.field(static=True)
    curriculum: tuple[int, int] | None = eqx.field(static=True)

    def __init__(
        self,
        trajectories,
        batch_size: int,
        num_unroll: int = 1,
        *,
        curriculum: tuple[int, int] | None = None,
    ):
        trajectories = jnp.asarray(trajectories)
        if trajectories.ndim < 4:
            raise ValueError(
                f"trajectories have shape {trajectories.shape}; expected (num_trajectories, "
                "num_times, channels, *grid)."
            )
        if not 1 <= num_unroll < trajectories.shape[1]:
            raise ValueError(
                f"num_unroll={num_unroll} with trajectories of {trajectories.shape[1]} "
                f"states; expected 1 <= num_unroll <= {trajectories.shape[1] - 1}."
            )
        if curriculum is not None and not 1 <= curriculum[0] <= num_unroll:
            raise ValueError(f"curriculum start {curriculum[0]} must lie in [1, {num_unroll}].")
        self.trajectories = trajectories
        self.batch_size = int(batch_size)
        self.num_unroll = int(num_unroll)
        self.curriculum = None if curriculum is None else (int(curriculum[0]), int(curriculum[1]))

    def init(self, key: Key) -> PyTree:
        return {"count": jnp.zeros((), jnp.int32)}

    def sample(self, state: PyTree, key: Key) -> tuple[PyTree, PyTree]:
        num_traj, num_times = self.trajectories.shape[:2]
        ktraj, kstart = jr.split(key)
        which = jr.randint(ktraj, (self.batch_size,), 0, num_traj)
        start = jr.randint(kstart, (self.batch_size,), 0, num_times - self.num_unroll)
        window = jax.vmap(
            lambda i, s: jax.lax.dynamic_slice_in_dim(self.trajectories[i], s, self.num_unroll + 1)
        )(which, start)
        if self.curriculum is None:
            horizon = jnp.asarray(self.num_unroll, jnp.int32)
        else:
            horizon = curriculum_horizon(
                state["count"], self.curriculum[0], self.num_unroll, self.curriculum[1]
            )
        return {"window": window, "horizon": horizon}, {"count": state["count"] + 1}
