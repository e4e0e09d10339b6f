"""Trajectories of any stepper in `lax.scan`."""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from .._types import PyTree
from .spectral._base import AbstractSpectralStepper


def rollout(
    stepper: Callable[[PyTree], PyTree],
    u0: PyTree,
    num_steps: int,
    save_every: int = 1,
    *,
    checkpoint: bool = False,
) -> PyTree:
    """Apply `stepper` `num_steps` times and stack every `save_every`-th state.

    $u_{n+1} = \\text{stepper}(u_n)$; the result holds $u_0, u_k, u_{2k}, \\dots,
    u_{\\text{num\\_steps}}$ with $k$ = `save_every`, initial state first.

    The loop is two nested `lax.scan`s (outer over saves, inner over the steps between
    them), so it compiles once whatever `num_steps` is. A spectral stepper of this package
    (`AbstractSpectralStepper`) is advanced on its Fourier coefficients (`step_fourier`),
    transforming back only at the saves: calling it on physical states would spend two
    extra FFTs per step (a third of an ETDRK2 step) on a round trip that changes
    nothing but round-off. With `checkpoint=True` the inner
    scan is rematerialised in the backward pass: reverse-mode memory then grows with the
    number of saved states instead of the number of steps (choose `save_every` near
    $\\sqrt{\\text{num\\_steps}}$ for the classic square-root trade-off).

    **Arguments:**

    - `stepper`: any callable state -> state (e.g. `BurgersStepper(...)`; vmap it yourself for a
      batch, or vmap `rollout`).
    - `u0`: the initial state (any PyTree).
    - `num_steps`: total number of steps; must be a multiple of `save_every`.
    - `save_every`: steps between saved states.
    - `checkpoint`: rematerialise the inner loop in reverse mode.

    **Returns:**

    The saved states stacked on a new leading axis of length
    `num_steps // save_every + 1`.

    **Example:**

    ```python
    stepper = KuramotoSivashinsky(1, 32 * jnp.pi, 256, 0.25)
    trajectory = rollout(stepper, u0, 1000, save_every=10)   # (101, 1, 256)
    batch = jax.vmap(lambda u: rollout(stepper, u, 100))(u0_batch)
    ```
    """
    if not isinstance(num_steps, int) or num_steps < 0:
        raise ValueError(f"num_steps must be an int >= 0, got {num_steps!r}.")
    if not isinstance(save_every, int) or save_every < 1:
        raise ValueError(f"save_every must be an int >= 1, got {save_every!r}.")
    if num_steps % save_every != 0:
        raise ValueError(
            f"num_steps={num_steps} is not a multiple of save_every={save_every}; "
            f"use num_steps={num_steps // save_every * save_every} or another save_every."
        )

    carry0, step, to_state = _loop_space(stepper, u0)

    def advance(carry, _):
        return step(carry), None

    def between_saves(carry):
        return jax.lax.scan(advance, carry, None, length=save_every)[0]

    if checkpoint:
        between_saves = jax.checkpoint(between_saves)

    def save(carry, _):
        carry_next = between_saves(carry)
        return carry_next, to_state(carry_next)

    _, saved = jax.lax.scan(save, carry0, None, length=num_steps // save_every)
    return jax.tree.map(lambda first, rest: jnp.concatenate([first[None], rest]), u0, saved)


def rollout_final(stepper: Callable[[PyTree], PyTree], u0: PyTree, num_steps: int) -> PyTree:
    """The state after `num_steps` steps, without storing the trajectory.

    Spectral steppers run on Fourier coefficients, as in `rollout`.
    """
    if not isinstance(num_steps, int) or num_steps < 0:
        raise ValueError(f"num_steps must be an int >= 0, got {num_steps!r}.")
    if num_steps == 0:
        return u0
    carry0, step, to_state = _loop_space(stepper, u0)
    final = jax.lax.scan(lambda carry, _: (step(carry), None), carry0, None, length=num_steps)[0]
    return to_state(final)


def _loop_space(stepper, u0):
    """`(carry0, step, to_state)`: the loop state, one step on it, and the map back to u."""
    if not isinstance(stepper, AbstractSpectralStepper):
        return u0, stepper, lambda u: u
    stepper.check_state(u0)
    u0 = jnp.asarray(u0)

    def step(u_hat):
        # The scan carry keeps its dtype: float32 states with float64 enabled would
        # otherwise promote to complex128 after the first step.
        return stepper.step_fourier(u_hat).astype(u_hat.dtype)

    def to_state(u_hat):
        return stepper.to_physical(u_hat).astype(u0.dtype)

    return stepper.to_fourier(u0), step, to_state


def rollout_average(
    stepper: Callable[[PyTree], PyTree],
    u0: PyTree,
    num_samples: int,
    every: int,
    observable: Callable[[PyTree], PyTree],
) -> tuple[PyTree, PyTree, jax.Array]:
    """The time average of `observable(u)` over `num_samples` states `every` steps apart,
    without storing the trajectory (a long-run statistic such as an energy spectrum).

    $$\\bar f = \\frac{1}{S} \\sum_{s=1}^{S} f(u(s \\cdot \\mathrm{every}\\, \\Delta t))$$

    **Returns:** `(final_state, mean_observable, peak)`, `peak` the largest $|u|$ over the
    start and the sampled states (a blow-up check).
    """

    def chunk(carry, _):
        u, total, peak = carry
        u = rollout(stepper, u, every, save_every=every)[-1]
        total = jax.tree.map(jnp.add, total, observable(u))
        return (u, total, jnp.maximum(peak, jnp.max(jnp.abs(u)))), None

    zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), jax.eval_shape(observable, u0))
    init = (u0, zeros, jnp.max(jnp.abs(u0)))
    (u, total, peak), _ = jax.lax.scan(chunk, init, None, length=num_samples)
    return u, jax.tree.map(lambda t: t / num_samples, total), peak
