"""Heteroscedastic Gaussian heads, and MC-dropout prediction."""

from typing import Any

import equinox as eqx
import jax
import jax.random as jr
from jaxtyping import Array

from .._types import Key
from ._ensemble import MixturePrediction, mixture_moments


class GaussianHead(eqx.Module):
    """A network's output split into a mean and a positive variance.

    $$ (\\mu, s) = f_\\theta(x), \\qquad
       \\sigma^2 = \\operatorname{softplus}(s) + \\sigma^2_{\\min} $$

    The network's leading output axis has length `2 k`: the first `k` entries are the
    mean, the last `k` the raw variance (`k = 1` gives scalar outputs). Softplus grows
    linearly, not exponentially like `exp`, so a large raw output does not blow up the
    NLL; the floor keeps `log(variance)` finite where the data have no noise.

    **Arguments:**

    - `network`: a module of one input with output `(2 k, ...)`, e.g.
      `MLP(d, 2, width, depth, key=key)`.
    - `min_variance`: the variance floor (in the target's units squared).

    **Returns:** `head(x, *, key=None) -> (mean, variance)`; the key reaches the network
    (dropout). Train with `losses.gaussian_nll_loss(*jax.vmap(head)(x), y)` or
    `losses.beta_nll_loss`.

    **Example:**

    ```python
    head = GaussianHead(MLP(1, 2, 64, 3, key=jr.key(0)))
    mean, variance = jax.vmap(head)(x)      # x (n, 1) -> (n,), (n,)
    ```

    Reference: Nix and Weigend (1994); Lakshminarayanan et al. (2017) train ensembles of
    such heads.
    """

    network: Any
    min_variance: float = eqx.field(static=True, default=1e-6)

    def __call__(self, x: Array, *, key: Key | None = None) -> tuple[Array, Array]:
        out = self.network(x) if key is None else self.network(x, key=key)
        if out.ndim < 1 or out.shape[0] % 2:
            raise ValueError(
                f"GaussianHead needs a network output of shape (2k, ...) (mean and raw "
                f"variance), got {out.shape}; build the network with twice the outputs"
            )
        k = out.shape[0] // 2
        mean, raw = out[:k], out[k:]
        variance = jax.nn.softplus(raw) + self.min_variance
        if k == 1:
            return mean[0], variance[0]
        return mean, variance


def mc_dropout_predict(
    model: Any, x: Array, *, key: Key, num_samples: int = 32, batched: bool = True
) -> MixturePrediction:
    """MC dropout: average `num_samples` forward passes with dropout active.

    $$ \\bar\\mu(x) = \\frac1K \\sum_{k=1}^{K} f_{\\theta \\odot m_k}(x), \\qquad
       m_k \\sim \\text{Bernoulli masks} $$

    Each pass draws fresh masks from its own key (`model(x, key=k)`); the sample spread is
    the epistemic variance, and a `GaussianHead` adds its mean variance as the aleatoric
    part (law of total variance). The model must have been trained with dropout active
    (pass the step key to the model in the loss), with `dropout > 0` (MLP, FNO).

    **Arguments:** `model`; `x`, a batch `(n, ...)` (`batched=False`: one input); `key`;
    `num_samples` (K).

    **Returns:** a `MixturePrediction`.

    Reference: Gal and Ghahramani, "Dropout as a Bayesian approximation", ICML 2016.
    """
    if num_samples < 2:
        raise ValueError(f"mc_dropout_predict needs num_samples >= 2, got {num_samples}")

    def one(sample_key):
        if not batched:
            return model(x, key=sample_key)
        keys = jr.split(sample_key, x.shape[0])
        return jax.vmap(lambda xi, ki: model(xi, key=ki))(x, keys)

    outputs = jax.lax.map(one, jr.split(key, num_samples))
    return mixture_moments(outputs)
