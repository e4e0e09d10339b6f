"""Normalisers fit on training data: ``encode(x) = (x - mean) / (std + eps)``."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["Normalizer"]


class Normalizer(eqx.Module):
    """An affine normaliser with statistics fit on the training set only.

    $$ \\mathrm{encode}(x) = \\frac{x - \\mu}{\\sigma + \\varepsilon}, \\qquad
       \\mathrm{decode}(z) = z(\\sigma + \\varepsilon) + \\mu $$

    `Normalizer.fit(data, pointwise=True)` takes statistics over the sample axis (axis 0)
    only, one mean and std per grid point and channel (the ``UnitGaussianNormalizer`` of
    the FNO reference code); `pointwise=False` takes one mean and std over everything
    (scalar, resolution independent: use it when the model is evaluated at other
    resolutions). Statistics are arrays, so a normaliser is a PyTree that can sit inside a
    model; wrap them in ``jax.lax.stop_gradient`` there if they must stay fixed.

    **Arguments (fit):** `data` of shape ``(num_samples, ...)``, `pointwise`, `eps`.

    **Returns:** a `Normalizer`; `encode` / `decode` act on one sample or a batch (the
    statistics broadcast over leading axes).

    ```python
    norm = Normalizer.fit(a_train)         # (1000, 1, 1024) -> mean, std of shape (1, 1024)
    a_encoded = norm.encode(a_test)
    ```
    """

    mean: Float[Array, "..."]
    std: Float[Array, "..."]
    eps: float = eqx.field(static=True, default=1e-5)

    @classmethod
    def fit(
        cls, data: Float[Array, "samples ..."], *, pointwise: bool = True, eps: float = 1e-5
    ) -> "Normalizer":
        data = jnp.asarray(data)
        if data.ndim < 1 or data.shape[0] < 2:
            raise ValueError(
                f"Normalizer.fit needs at least 2 samples on axis 0, got shape {data.shape}."
            )
        if pointwise:
            return cls(jnp.mean(data, axis=0), jnp.std(data, axis=0), eps)
        return cls(jnp.mean(data), jnp.std(data), eps)

    def encode(self, x: Float[Array, "..."]) -> Float[Array, "..."]:
        return (x - self.mean) / (self.std + self.eps)

    def decode(self, z: Float[Array, "..."]) -> Float[Array, "..."]:
        return z * (self.std + self.eps) + self.mean
