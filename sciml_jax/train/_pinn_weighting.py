r"""Adaptive weights of PINN loss terms (gradient norm, NTK trace); causal: `losses`.

The weighted loss is $\sum_i \lambda_i L_i$. Poorly balanced terms (a residual whose
gradients dwarf the boundary term's) are the commonest cause of PINN failure; these
weightings equalise the terms' influence on the parameters, recomputed every `every`
steps inside the jitted loop and smoothed by a moving average.
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float, PyTree

from ._state import AbstractWeighting


def _blend(old: dict, new: dict, momentum: float) -> dict:
    return {k: momentum * old[k] + (1 - momentum) * jax.lax.stop_gradient(new[k]) for k in old}


class FixedWeighting(AbstractWeighting):
    """Constant weights for named loss terms (terms not listed get weight 1).

    **Arguments:**

    - `weights`: a dict `{term name: weight}`, e.g. `{"initial": 100.0}`.
    """

    weights: dict[str, float] = eqx.field(static=True)
    every: int = eqx.field(static=True, default=2**30)

    def init(self, term_names):
        unknown = set(self.weights) - set(term_names)
        if unknown:
            raise ValueError(
                f"weights given for unknown loss terms {sorted(unknown)}; the loss function "
                f"returns {list(term_names)}."
            )
        return {name: jnp.asarray(float(self.weights.get(name, 1.0))) for name in term_names}

    def update(self, weights, terms_fn, params, key):
        return weights


class GradNormWeighting(AbstractWeighting):
    r"""Weights that equalise the gradient norms of the loss terms.

    Every `every` steps: $\hat\lambda_i = \sum_j \|\nabla_\theta L_j\| / \|\nabla_\theta L_i\|$,
    then $\lambda_i \leftarrow m\,\lambda_i + (1 - m)\,\hat\lambda_i$.

    **Arguments:**

    - `every`: update interval in steps (jaxpi uses 1000).
    - `momentum`: moving-average factor `m` (0.9).

    **Reference:** Wang, Sankaran, Wang, Perdikaris, "An expert's guide to training
    physics-informed neural networks" (2023).
    """

    every: int = eqx.field(static=True, default=1000)
    momentum: float = eqx.field(static=True, default=0.9)

    def init(self, term_names):
        return {name: jnp.ones(()) for name in term_names}

    def update(self, weights, terms_fn, params, key):
        names = tuple(weights)
        norms = {}
        for name in names:
            g = jax.grad(lambda p, n=name: terms_fn(p)[n])(params)
            norms[name] = optax.tree.norm(g)
        total = sum(norms.values())
        new = {n: total / jnp.maximum(norms[n], 1e-30) for n in names}
        return _blend(weights, new, self.momentum)


class NTKTraceWeighting(AbstractWeighting):
    r"""Weights from the trace of each term's neural tangent kernel.

    $\hat\lambda_i = \sum_j \mathrm{tr} K_j / \mathrm{tr} K_i$, with
    $\mathrm{tr} K_i = \frac{1}{n_i}\sum_{p} \|\nabla_\theta r_i(p)\|^2$ over the term's
    points: the mean squared parameter-gradient of its pointwise residual. Needs the
    pointwise residuals, so it takes its own `pointwise_fn`.

    **Arguments:**

    - `pointwise_fn`: `pointwise_fn(params, key) -> {term: (n_i,) array}`, the per-point
      residuals of every loss term (e.g. on a fixed probe subset of the points).
    - `every`, `momentum`: as in `GradNormWeighting`.

    **Reference:** Wang, Yu, Perdikaris, "When and why PINNs fail to train: a neural
    tangent kernel perspective", J. Comput. Phys. 449 (2022).
    """

    pointwise_fn: Callable[[PyTree, Array], dict[str, Float[Array, " n"]]]
    every: int = eqx.field(static=True, default=1000)
    momentum: float = eqx.field(static=True, default=0.9)

    def init(self, term_names):
        return {name: jnp.ones(()) for name in term_names}

    def update(self, weights, terms_fn, params, key):
        probe = jax.eval_shape(self.pointwise_fn, params, key)
        missing = set(weights) - set(probe)
        if missing:
            raise ValueError(
                f"NTKTraceWeighting: pointwise_fn gives {sorted(probe)} but the loss has terms "
                f"{sorted(weights)}; return per-point residuals for every term."
            )
        traces = {}
        for name in weights:
            n = probe[name].shape[0]

            def one(i, name=name):
                g = jax.grad(lambda p: self.pointwise_fn(p, key)[name][i])(params)
                return sum(jnp.sum(x**2) for x in jax.tree.leaves(g))

            # Row by row keeps memory at one gradient; these updates are infrequent.
            traces[name] = jax.lax.map(one, jnp.arange(n)).mean()
        total = sum(traces.values())
        new = {n: total / jnp.maximum(traces[n], 1e-30) for n in weights}
        return _blend(weights, new, self.momentum)
