"""Relative L2 and H1 losses for operator learning (per sample; vmap and average outside)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..analysis import rel_l2

__all__ = ["relative_l2_loss", "relative_h1_loss"]


def relative_l2_loss(
    prediction: Float[Array, "..."], target: Float[Array, "..."], eps: float = 1e-12
) -> Float[Array, ""]:
    """Relative L2 error of one sample, the FNO training loss.

    $$ \\ell(\\hat u, u) = \\frac{\\lVert \\hat u - u \\rVert_2}{\\lVert u \\rVert_2} $$

    On a uniform grid the quadrature weights cancel, so this is the relative error of the
    function in ``L^2``, independent of the resolution.

    **Arguments:** `prediction`, `target` of one shape (one sample); `eps` guards ``u = 0``.

    **Returns:** a scalar. Average over a batch with
    ``jnp.mean(jax.vmap(relative_l2_loss)(pred, true))``.
    """
    if prediction.shape != target.shape:
        raise ValueError(
            f"relative_l2_loss got prediction {prediction.shape} and target {target.shape}; "
            "pass one unbatched sample of the same shape (vmap over the batch)."
        )
    return rel_l2(prediction, target, eps)


def relative_h1_loss(
    prediction: Float[Array, " channels *grid"],
    target: Float[Array, " channels *grid"],
    *,
    domain_extent: float = 1.0,
    eps: float = 1e-12,
) -> Float[Array, ""]:
    """Relative H1 error of one periodic sample, computed spectrally.

    $$ \\ell(\\hat u, u) = \\sqrt{\\frac{\\sum_k (1 + |\\kappa_k|^2)\\,|\\hat e_k|^2}
       {\\sum_k (1 + |\\kappa_k|^2)\\,|\\hat u_k|^2}}, \\qquad
       \\kappa_k = 2\\pi k / L,\\ e = \\hat u - u $$

    i.e. ``sqrt(||e||^2 + ||grad e||^2) / sqrt(||u||^2 + ||grad u||^2)`` with exact
    (spectral) derivatives; the grid is periodic with period `domain_extent` on every axis.

    **Arguments:** `prediction`, `target` of shape ``(channels, *grid)``; `domain_extent`.

    **Returns:** a scalar.
    """
    if prediction.shape != target.shape or prediction.ndim < 2:
        raise ValueError(
            f"relative_h1_loss got prediction {prediction.shape} and target {target.shape}; "
            "expected one unbatched sample of shape (channels, *grid) for both."
        )
    grid = prediction.shape[1:]
    axes = tuple(range(1, prediction.ndim))
    ks = np.meshgrid(
        *[2 * np.pi * np.fft.fftfreq(n, 1.0 / n) / domain_extent for n in grid], indexing="ij"
    )
    weight = jnp.asarray(1.0 + sum(k**2 for k in ks), prediction.dtype)

    def norm_sq(v):
        return jnp.sum(weight * jnp.abs(jnp.fft.fftn(v, axes=axes)) ** 2)

    return jnp.sqrt(norm_sq(prediction - target) / (norm_sq(target) + eps))
