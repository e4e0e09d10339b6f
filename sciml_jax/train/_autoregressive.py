"""Training objectives for operators and autoregressive emulators, built on `fit`.

An emulator ``f`` approximates one time step of a simulator, ``u_{n+1} ~ f(u_n)``, and is
used by applying it to its own output. Three objectives are provided, all computed on
windows ``(u_n, ..., u_{n+K})`` cut from reference trajectories inside the jitted loop:

- **one-step** (teacher forcing): ``K = 1``; cheap, but the model never sees its own
  errors and long rollouts drift or blow up.
- **unrolled** (backpropagation through time): ``sum_t l(f^t(u_n), u_{n+t})`` over the
  K-step autoregressive rollout, gradients through the whole chain.
- **pushforward** (Brandstetter et al. 2022): the same rollout, gradients only through the
  last step (the earlier steps just produce a realistic, noisy input distribution).
- **curriculum**: the unrolled loss with a horizon growing from 1 to K during training
  (the sampler counts steps and hands the current horizon to the loss).

Two stabilisers for long rollouts, both opt-in settings:

- `ResidualEmulator(..., keep_modes=K, zero_mean=True)` projects every predicted state
  onto the Fourier modes the training data carries (and onto zero spatial mean where the
  PDE conserves it). A residual emulator ``u + net(u)`` otherwise passes every mode of
  ``u`` through undamped, and the small errors its pointwise layers make in modes the data
  never excites add up step after step: nothing in the loss pulls them back.
- `make_autoregressive_loss(..., noise_std=s)` adds Gaussian noise to the first state of
  each training window (Sanchez-Gonzalez et al. 2020), so the model learns to pull
  perturbed states back towards the data instead of trusting its input exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, PyTree

from .._types import Key
from ._state import AbstractSampler

__all__ = [
    "MinibatchSampler",
    "TrajectorySampler",
    "ResidualEmulator",
    "project_modes",
    "epoch_protocol",
    "seconds_per_epoch",
    "make_autoregressive_loss",
    "curriculum_horizon",
]


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


def project_modes(
    u: Float[Array, " channels *grid"], keep_modes: int | None = None, zero_mean: bool = False
) -> Float[Array, " channels *grid"]:
    """Orthogonal projection of a periodic field onto its low Fourier modes.

    $$ (P u)^\\wedge_k = \\hat u_k \\;\\text{if}\\; \\max_i |k_i| < K
    \\;(\\text{and } k \\neq 0 \\text{ if zero\\_mean}), \\quad 0 \\text{ otherwise} $$

    with integer wavenumbers ``k`` on every spatial axis of the grid.

    **Arguments:**

    - `u`: ``(channels, *grid)`` samples on a uniform periodic grid.
    - `keep_modes`: K, the number of retained wavenumbers per axis (``|k| < K``); None
      keeps all. Must be at least 1 and at most ``n // 2`` for every axis of size n (a
      larger K would keep everything and hide a configuration mistake).
    - `zero_mean`: also remove the ``k = 0`` mode of every channel.

    **Returns:** the projected field, same shape and dtype.
    """
    grid = u.shape[1:]
    if keep_modes is None and not zero_mean:
        return u
    if keep_modes is not None and not 1 <= keep_modes <= min(grid) // 2:
        raise ValueError(
            f"keep_modes={keep_modes} on a grid of shape {grid}; expected 1 <= keep_modes <= "
            f"{min(grid) // 2} (half the smallest grid size), or None to keep all modes."
        )
    axes = tuple(range(1, u.ndim))
    spectrum = jnp.fft.rfftn(u, axes=axes)
    # integer wavenumbers of the rfftn layout: full fftfreq on all axes but the last
    waves = [jnp.abs(jnp.fft.fftfreq(n, 1.0 / n)) for n in grid[:-1]]
    waves.append(jnp.fft.rfftfreq(grid[-1], 1.0 / grid[-1]))
    mesh = jnp.meshgrid(*waves, indexing="ij")
    keep = jnp.ones(spectrum.shape[1:], bool)
    if keep_modes is not None:
        keep = keep & (jnp.max(jnp.stack(mesh), axis=0) < keep_modes)
    if zero_mean:
        keep = keep & (sum(mesh) > 0)
    return jnp.fft.irfftn(spectrum * keep, s=grid, axes=axes).astype(u.dtype)


class ResidualEmulator(eqx.Module):
    """``u_{n+1} = P(u_n + scale * net(u_n))``: an emulator that learns the increment.

    ``P`` is `project_modes` with `keep_modes` and `zero_mean` (the identity by default).
    Choose `keep_modes` from the spectrum of the training data: keep the wavenumbers that
    carry energy above round-off, so the projection removes nothing the data contains but
    stops errors from piling up in modes the model was never trained on. `zero_mean`
    encodes a conservation law (the spatial mean of Kuramoto-Sivashinsky or Burgers data
    is invariant, here zero) exactly instead of hoping the network learns it.

    **Arguments:** `net` (any ``(channels, *grid) -> (channels, *grid)`` model), `scale`
    (a fixed factor, e.g. the typical increment size, to start near identity),
    `keep_modes` (None or the number of retained wavenumbers per axis), `zero_mean`.
    """

    net: Callable
    scale: float = eqx.field(static=True, default=1.0)
    keep_modes: int | None = eqx.field(static=True, default=None)
    zero_mean: bool = eqx.field(static=True, default=False)

    def __call__(self, u: Float[Array, " channels *grid"]) -> Float[Array, " channels *grid"]:
        return project_modes(u + self.scale * self.net(u), self.keep_modes, self.zero_mean)


def _mse(prediction, target):
    return jnp.mean((prediction - target) ** 2)


def _nrmse(prediction, target):
    return jnp.sqrt(jnp.sum((prediction - target) ** 2) / (jnp.sum(target**2) + 1e-12))


def make_autoregressive_loss(
    mode: Literal["one_step", "unrolled", "pushforward", "curriculum"],
    num_unroll: int = 1,
    *,
    per_step: Literal["mse", "nrmse"] = "mse",
    noise_std: float = 0.0,
) -> Callable[[Callable, PyTree, Key], Array]:
    """The loss ``loss_fn(model, batch, key)`` of an autoregressive training objective.

    $$ L = \\frac{1}{B}\\sum_b \\sum_{t=1}^{K} w_t\\, \\ell\\big(f^{t}(u^b_0), u^b_t\\big) $$

    with ``w_t = 1/K`` (unrolled), ``w_t = 1/h`` for ``t <= h`` (curriculum, horizon h from
    the batch), ``w_K = 1`` and gradients through the last application only
    (pushforward), ``K = 1`` (one-step). With `noise_std` > 0 the rollout starts from
    ``u^b_0 + noise_std * xi``, ``xi ~ N(0, I)`` fresh at every step, while the targets
    stay the clean reference: the model is trained to correct perturbed inputs.

    **Arguments:**

    - `mode`: the objective.
    - `num_unroll`: K (must match the sampler's; 1 for one-step).
    - `per_step`: ``"mse"`` or ``"nrmse"`` (relative L2) as the per-step loss ``l``.
    - `noise_std`: standard deviation of the input noise, in the units of the data (0: off).

    **Returns:** a loss for `fit`, to be used with a `TrajectorySampler`.

    ```python
    loss_fn = make_autoregressive_loss("unrolled", num_unroll=5)
    sampler = TrajectorySampler(train_trajectories, batch_size=16, num_unroll=5)
    result = fit(emulator, loss_fn, config.train, key=key, sampler=sampler)
    ```
    """
    if mode not in ("one_step", "unrolled", "pushforward", "curriculum"):
        raise ValueError(f"mode={mode!r}; expected one_step, unrolled, pushforward or curriculum.")
    if mode == "one_step" and num_unroll != 1:
        raise ValueError(
            f"mode='one_step' trains on single steps; got num_unroll={num_unroll}"
            " (use mode='unrolled' for longer windows)."
        )
    if per_step not in ("mse", "nrmse"):
        raise ValueError(f"per_step={per_step!r}; expected 'mse' or 'nrmse'.")
    if not noise_std >= 0.0:
        raise ValueError(f"noise_std={noise_std}; expected a standard deviation >= 0.")
    step_loss = _mse if per_step == "mse" else _nrmse
    steps = jnp.arange(1, num_unroll + 1)

    def loss_fn(model, batch, key):
        window = batch["window"]
        if window.shape[1] != num_unroll + 1:
            raise ValueError(
                f"the batch windows hold {window.shape[1]} states but the loss "
                f"unrolls {num_unroll} steps; make them agree."
            )
        if mode == "curriculum":
            horizon = batch["horizon"]
            weights = (steps <= horizon) / horizon
        elif mode == "pushforward":
            weights = (steps == num_unroll).astype(window.dtype)
        else:
            weights = jnp.ones(num_unroll) / num_unroll
        if noise_std > 0.0:
            if key is None:
                raise ValueError("noise_std > 0 needs a key; fit passes one to the loss.")
            first = window[:, 0] + noise_std * jr.normal(key, window[:, 0].shape, window.dtype)
            window = window.at[:, 0].set(first)

        def one(states):
            def advance(u, target):
                if mode == "pushforward":
                    u = jax.lax.stop_gradient(u)
                prediction = model(u)
                return prediction, step_loss(prediction, target)

            _, losses = jax.lax.scan(advance, states[0], states[1:])
            return jnp.sum(weights * losses)

        return jnp.mean(jax.vmap(one)(window))

    return loss_fn


def epoch_protocol(
    train,
    *,
    epochs: int,
    steps_per_epoch: int,
    halve_every_epochs: int | None,
    log_every_epochs: int = 1,
):
    """A `TrainConfig` for epoch-based operator training (the FNO protocol).

    Li et al. train for 500 epochs with Adam (lr 1e-3, weight decay 1e-4) and halve the
    learning rate every 100 epochs. Here the halving is the smooth
    ``lr * 0.5 ** (step / (halve_every_epochs * steps_per_epoch))`` (same rate, no
    staircase); ``halve_every_epochs=None`` keeps `train`'s own schedule. Steps, the log
    interval (`log_every_epochs` epochs) and the checkpoint interval are set in steps.

    **Returns:** a new `TrainConfig`.
    """
    import dataclasses

    from ..config import ScheduleConfig

    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(f"epochs={epochs}, steps_per_epoch={steps_per_epoch}; both must be >= 1.")
    chunk = steps_per_epoch * max(1, min(log_every_epochs, epochs))
    checkpoint_every = chunk * max(1, round(train.checkpoint_every / chunk))
    optimizer = train.optimizer
    if halve_every_epochs is not None:
        schedule = ScheduleConfig(
            name="exponential", decay_rate=0.5, decay_steps=halve_every_epochs * steps_per_epoch
        )
        optimizer = dataclasses.replace(optimizer, schedule=schedule)
    eval_every = (
        None if train.eval_every is None else chunk * max(1, round(train.eval_every / chunk))
    )
    return dataclasses.replace(
        train,
        steps=epochs * steps_per_epoch,
        chunk_size=chunk,
        checkpoint_every=checkpoint_every,
        optimizer=optimizer,
        eval_every=eval_every,
    )


def seconds_per_epoch(history: list[dict], steps_per_epoch: int) -> float:
    """Median training seconds per epoch over the logged chunks, the first (compile) excluded."""
    rates = [record["steps_per_s"] for record in history[1:]] or [
        record["steps_per_s"] for record in history
    ]
    rates = sorted(rates)
    return steps_per_epoch / rates[len(rates) // 2]
