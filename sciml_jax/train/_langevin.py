"""Stochastic-gradient Langevin dynamics (SGLD, pSGLD) as optax transformations.

Written here rather than taken from blackjax: blackjax 1.7 (it installs beside jax 0.10)
exposes SGLD as a sampling kernel, `blackjax.sgld(grad_estimator)(key, position,
batch, step_size)`, driven by its own loop and keys. As an optax `GradientTransformation`
the sampler is just another optimizer for `fit`: chunked `lax.scan`, checkpoints,
bit-identical resume, the NaN and divergence guards and ensembles of chains all come for
free. The noise key lives in the optimizer state (derived from `seed`, folded with the
step count), so a run is a pure function of its config and a resumed run draws the same
noise as an uninterrupted one.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import optax
from jaxtyping import Array, PyTree


class LangevinState(NamedTuple):
    """`count`: steps taken; `key`: the raw base key of the noise; `nu`: pSGLD's running
    mean of squared gradients (`None` for SGLD)."""

    count: Array
    key: Array
    nu: PyTree


def _step_size(learning_rate: optax.ScalarOrSchedule, count: Array) -> Array:
    return learning_rate(count) if callable(learning_rate) else jnp.asarray(learning_rate)


def _noise_like(key: Array, count: Array, tree: PyTree) -> PyTree:
    """Standard normal noise shaped like `tree`, independent per leaf and per step."""
    leaves, treedef = jax.tree.flatten(tree)
    step_key = jr.fold_in(key, count)
    noise = [
        jr.normal(jr.fold_in(step_key, i), leaf.shape, leaf.dtype) for i, leaf in enumerate(leaves)
    ]
    return jax.tree.unflatten(treedef, noise)


def sgld(
    learning_rate: optax.ScalarOrSchedule, temperature: float = 1.0, *, seed: int = 0
) -> optax.GradientTransformation:
    """Stochastic-gradient Langevin dynamics (Welling and Teh 2011).

    $$ \\theta_{t+1} = \\theta_t - \\epsilon_t \\nabla U(\\theta_t)
       + \\sqrt{2 \\epsilon_t T}\\, \\xi_t, \\qquad \\xi_t \\sim N(0, I) $$

    With the loss the *negative log posterior* $U(\\theta) = -\\log p(D \\mid \\theta)
    - \\log p(\\theta)$ (a sum over the whole data set: scale a minibatch mean by the data
    size) and a small constant step, the iterates sample $p(\\theta \\mid D)^{1/T}$, the
    Gibbs distribution $\\propto e^{-U/T}$. `T = 1` is the posterior; `T < 1` a cold
    posterior; `T = 0` plain gradient descent. The bias is `O(epsilon)`: the stationary
    covariance of a Gaussian posterior with precision `A` is `(A (1 - epsilon A / 2))^-1`
    (`T = 1`), so keep `epsilon * lambda_max(A)` small.

    **Arguments:**

    - `learning_rate`: the step size `epsilon` (or an optax schedule; the noise follows it).
    - `temperature`: `T >= 0`.
    - `seed`: the noise's seed (kept in the state; step `t` uses `fold_in(key, t)`).

    **Returns:** an `optax.GradientTransformation` (`make_optimizer` builds it for
    `optimizer.name: sgld`). Keep posterior samples with `uq.sample_posterior`.

    Reference: Welling and Teh, "Bayesian learning via stochastic gradient Langevin
    dynamics", ICML 2011.
    """
    return _langevin(learning_rate, temperature, seed, preconditioned=False)


def psgld(
    learning_rate: optax.ScalarOrSchedule,
    temperature: float = 1.0,
    *,
    decay: float = 0.99,
    eps: float = 1e-5,
    seed: int = 0,
) -> optax.GradientTransformation:
    """Preconditioned SGLD with an RMSprop preconditioner (Li et al. 2016).

    $$ V_t = \\alpha V_{t-1} + (1-\\alpha)\\, g_t^2, \\qquad
       G_t = 1 / (\\lambda + \\sqrt{V_t}), $$
    $$ \\theta_{t+1} = \\theta_t - \\epsilon_t G_t \\odot g_t
       + \\sqrt{2 \\epsilon_t T G_t} \\odot \\xi_t $$

    The diagonal preconditioner equalises the step across parameters of very different
    curvature. As in the paper, the correction term `Gamma(theta)` (the divergence of `G`)
    is dropped: it vanishes as `alpha -> 1` and `V` settles, at the cost of a small bias.

    **Arguments:** `learning_rate`, `temperature`, `seed` as `sgld`; `decay` (alpha, the
    config's `b2` when chosen by name) and `eps` (lambda).

    **Returns:** an `optax.GradientTransformation`.

    Reference: Li, Chen, Carlson, Carin, "Preconditioned stochastic gradient Langevin
    dynamics for deep neural networks", AAAI 2016.
    """
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"psgld decay={decay}; expected 0 <= decay < 1 (0.99 usual)")
    return _langevin(learning_rate, temperature, seed, preconditioned=True, decay=decay, eps=eps)


def _langevin(learning_rate, temperature, seed, *, preconditioned, decay=0.0, eps=0.0):
    if temperature < 0:
        raise ValueError(f"Langevin temperature={temperature}; expected T >= 0")
    temperature = float(temperature)

    def init_fn(params):
        nu = jax.tree.map(jnp.zeros_like, params) if preconditioned else None
        return LangevinState(jnp.zeros((), jnp.int32), jr.key_data(jr.key(seed)), nu)

    def update_fn(updates, state, params=None):
        del params
        step = _step_size(learning_rate, state.count)
        noise = _noise_like(state.key, state.count, updates)
        if preconditioned:
            nu = jax.tree.map(lambda v, g: decay * v + (1 - decay) * g * g, state.nu, updates)
            gain = jax.tree.map(lambda v: 1.0 / (eps + jnp.sqrt(v)), nu)
        else:
            nu = None
            gain = jax.tree.map(lambda _: 1.0, updates)
        new = jax.tree.map(
            lambda g, pre, xi: (
                -step * pre * g + jnp.sqrt(2.0 * step * temperature * pre) * xi
            ).astype(g.dtype),
            updates,
            gain,
            noise,
        )
        return new, LangevinState(state.count + 1, state.key, nu)

    return optax.GradientTransformation(init_fn, update_fn)
