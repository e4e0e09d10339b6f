"""Training objectives for autoregressive emulators, for `fit` with a `TrajectorySampler`.

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

import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, PyTree

from .._types import Key
from ..analysis import rel_l2

__all__ = ["make_autoregressive_loss"]


def _mse(prediction, target):
    return jnp.mean((prediction - target) ** 2)


def _nrmse(prediction, target):
    return rel_l2(prediction, target, eps=1e-12)


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
