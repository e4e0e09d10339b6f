"""Evaluation of a periodic grid field at arbitrary points through its Fourier series."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

__all__ = ["spectral_interpolate"]


def _axis_basis(x: Array, n: int) -> Array:
    """``(P, n)`` Fourier basis on one axis at coordinates `x` (in cell units), the columns
    in FFT order; the Nyquist column (even n) is ``cos(pi n x)``: the real, symmetric split
    of the mode ``e^{i pi n x}`` between +n/2 and -n/2."""
    k = np.fft.fftfreq(n, 1.0 / n)
    basis = jnp.exp(2j * jnp.pi * x[:, None] * k[None, :])
    if n % 2 == 0:
        basis = basis.at[:, n // 2].set(jnp.cos(jnp.pi * n * x))
    return basis


def spectral_interpolate(
    u: Float[Array, "*batch n n"], points: Float[Array, "P 2"], domain_extent: float = 1.0
) -> Float[Array, "*batch P"]:
    """The trigonometric interpolant of a periodic 2D grid field, evaluated at `points`.

    $$ u(x) = \\sum_{k_1, k_2} \\hat u_{k} \\, \\phi_{k_1}(x_1 / L)\\, \\phi_{k_2}(x_2 / L),
       \\qquad \\phi_k(s) = e^{2 \\pi i k s} \\ (|k| < n/2), \\quad
       \\phi_{n/2}(s) = \\cos(\\pi n s) $$

    with ``\\hat u = \\mathrm{FFT}(u) / n^2`` on the grid ``x_j = j L / n``. It reproduces the
    grid values at the grid points and is exact everywhere for any field whose Fourier modes
    satisfy ``|k| <= n/2`` per axis (the Nyquist mode as a cosine), such as the pseudo-spectral
    simulators' states. Cost ``O(P n^2)`` per field.

    **Arguments:**

    - `u`: ``(..., n, n)``, axis -2 along ``x_1``, axis -1 along ``x_2``.
    - `points`: ``(P, 2)`` coordinates ``(x_1, x_2)``, any real values (periodic).
    - `domain_extent`: the period ``L``.

    **Returns:** ``(..., P)``, real.
    """
    if u.ndim < 2 or u.shape[-1] != u.shape[-2]:
        raise ValueError(
            f"spectral_interpolate got a field of shape {u.shape}; expected (..., n, n) on a "
            "square periodic grid."
        )
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points has shape {points.shape}; expected (P, 2) coordinates.")
    n = u.shape[-1]
    coefficients = jnp.fft.fft2(u) / n**2
    s = jnp.asarray(points) / domain_extent
    first, second = _axis_basis(s[:, 0], n), _axis_basis(s[:, 1], n)
    along_first = jnp.einsum("pk,...kl->...pl", first, coefficients)
    return jnp.real(jnp.sum(along_first * second, axis=-1)).astype(u.dtype)
