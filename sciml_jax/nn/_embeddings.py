"""Input embeddings for coordinate networks: random Fourier features, exact periodicity."""

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray


class AbstractEmbedding(eqx.Module):
    """Maps one point `p` of shape `(in_size,)` to features of shape `(out_size,)`.

    Points may also come as columns, `(in_size, n)` giving `(out_size, n)`, the layout
    of `residual_loss(..., vectorize=True)`.

    Embeddings hold no trainable parameters: their arrays pass through
    `jax.lax.stop_gradient`, so optimisers leave them unchanged.
    """

    in_size: eqx.AbstractVar[int]
    out_size: eqx.AbstractVar[int]

    def __call__(self, p: Float[Array, " in_size"]) -> Float[Array, " out_size"]:
        raise NotImplementedError


class FourierFeatures(AbstractEmbedding):
    r"""Random Fourier features $\gamma(p) = [\cos(Bp), \sin(Bp)]$, $B_{ij} \sim N(0, \sigma^2)$.

    They let a tanh/GELU network represent high frequencies that it otherwise learns
    very slowly (spectral bias). `sigma` sets the frequency scale: 1 to 10 for PDEs on
    unit-sized domains.

    **Arguments:**

    - `in_size`: the point dimension.
    - `num_features`: number of random frequencies (output size `2 * num_features`).
    - `sigma`: standard deviation of the frequencies.
    - `key`: a `jax.random` key.

    **Reference:** Tancik et al., "Fourier features let networks learn high frequency
    functions in low dimensional domains" (NeurIPS 2020).
    """

    frequencies: Float[Array, "num_features in_size"]
    in_size: int = eqx.field(static=True)
    out_size: int = eqx.field(static=True)

    def __init__(self, in_size: int, num_features: int, sigma: float, *, key: PRNGKeyArray):
        if num_features < 1 or sigma <= 0:
            raise ValueError(
                f"FourierFeatures needs num_features >= 1 and sigma > 0, got "
                f"num_features={num_features}, sigma={sigma}."
            )
        self.frequencies = sigma * jax.random.normal(key, (num_features, in_size))
        self.in_size = in_size
        self.out_size = 2 * num_features

    def __call__(self, p):
        projected = jnp.tensordot(jax.lax.stop_gradient(self.frequencies), p, axes=1)
        return jnp.concatenate([jnp.cos(projected), jnp.sin(projected)])


class PeriodicEmbedding(AbstractEmbedding):
    r"""Exact periodicity: $x \mapsto [\cos(k\omega x), \sin(k\omega x)]_{k=1..K}$.

    With $\omega = 2\pi / L$, any network applied after this embedding is exactly
    $L$-periodic in $x$, so periodic boundary conditions hold by construction (a hard
    constraint) and need no loss term. Other coordinates pass through unchanged.

    **Arguments:**

    - `in_size`: the point dimension.
    - `axes`: indices of the periodic coordinates.
    - `periods`: the period of each, same length as `axes`.
    - `num_harmonics`: `K`, harmonics per periodic coordinate.

    **Example:**

    ```python
    embed = PeriodicEmbedding(2, axes=(0,), periods=(2.0,), num_harmonics=1)
    embed(jnp.array([x, t]))          # [cos(pi x), sin(pi x), t]
    ```
    """

    axes: tuple[int, ...] = eqx.field(static=True)
    periods: tuple[float, ...] = eqx.field(static=True)
    num_harmonics: int = eqx.field(static=True)
    in_size: int = eqx.field(static=True)
    out_size: int = eqx.field(static=True)

    def __init__(
        self, in_size: int, axes: Sequence[int], periods: Sequence[float], num_harmonics: int = 1
    ):
        axes = tuple(int(a) % in_size for a in axes)
        periods = tuple(float(p) for p in periods)
        if len(axes) != len(periods) or not axes:
            raise ValueError(
                f"PeriodicEmbedding needs one period per periodic axis, got axes={axes} and "
                f"periods={periods}."
            )
        if any(p <= 0 for p in periods) or num_harmonics < 1:
            raise ValueError(
                f"periods must be > 0 and num_harmonics >= 1, got {periods}, {num_harmonics}."
            )
        self.axes, self.periods, self.num_harmonics = axes, periods, num_harmonics
        self.in_size = in_size
        self.out_size = in_size - len(axes) + 2 * num_harmonics * len(axes)

    def __call__(self, p):
        harmonics = jnp.arange(1, self.num_harmonics + 1, dtype=p.dtype)
        harmonics = harmonics.reshape((-1,) + (1,) * (p.ndim - 1))  # points as columns
        features = []
        for axis, period in zip(self.axes, self.periods, strict=True):
            phase = (2 * jnp.pi / period) * harmonics * p[axis]
            features += [jnp.cos(phase), jnp.sin(phase)]
        rest = [i for i in range(self.in_size) if i not in self.axes]
        if rest:
            features.append(p[jnp.asarray(rest)])
        return jnp.concatenate(features)
