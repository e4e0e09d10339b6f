"""Gaussian random fields with the covariance operator ``sigma^2 (-Laplacian + tau^2 I)^-gamma``.

This is the family behind the FNO benchmarks (Li et al. 2021): Burgers initial conditions
``N(0, 625 (-Lap + 25 I)^-2)``, Darcy coefficients ``(-Lap + 9 I)^-2`` with Neumann
boundaries, Navier-Stokes initial vorticity ``(-Lap + 49 I)^-2.5``. The field is the
Karhunen-Loeve expansion in the Laplacian's eigenfunctions on the unit cube,

    u(x) = sum_k sqrt(lambda_k) xi_k e_k(x),   lambda_k = sigma^2 (mu_k + tau^2)^-gamma,

with ``xi_k ~ N(0, 1)`` independent, ``e_k`` orthonormal in ``L^2([0,1]^d)`` and ``mu_k`` the
eigenvalues of ``-Laplacian``: ``4 pi^2 |k|^2`` (periodic, ``e_k = exp(2 pi i k.x)``) or
``pi^2 |k|^2`` (homogeneous Neumann, ``e_k = prod_i c_k cos(pi k_i x_i)``).
"""

from __future__ import annotations

from typing import Literal

import equinox as eqx
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

__all__ = ["GaussianRandomField"]


class GaussianRandomField(eqx.Module):
    """Samples of a Gaussian random field on a uniform grid of the unit cube.

    $$ u \\sim \\mathcal N\\big(0,\\ \\sigma^2(-\\Delta + \\tau^2 I)^{-\\gamma}\\big) $$

    - ``boundary="periodic"``: grid ``x_j = j / n`` (``j = 0..n-1``) on the unit torus; the
      sample is drawn exactly by an FFT of white noise (all ``n^d`` grid modes, or the
      lowest ``num_modes^d``).
    - ``boundary="neumann"``: grid ``x_j = j / (n - 1)`` including both walls; the cosine
      expansion is truncated to ``num_modes`` per axis (default ``n``) and summed by
      separable matrix products. The normal derivative vanishes on the walls.

    **Arguments:**

    - `num_spatial_dims`: d.
    - `num_points`: grid points per axis.
    - `sigma`, `tau`, `gamma`: the covariance parameters (``sigma`` multiplies the standard
      deviation, so ``sigma^2`` is the covariance prefactor).
    - `boundary`: ``"periodic"`` or ``"neumann"``.
    - `zero_mean`: drop the constant mode (``k = 0``).
    - `num_modes`: modes per axis kept in the expansion (default: all ``num_points``).
      Periodic fields with ``num_modes < num_points`` draw the same function for the same
      key at every resolution (``|k| < num_modes / 2``), so data for zero-shot
      super-resolution are consistent across grids.

    **Returns:** `__call__(key)` is one sample of shape ``(num_points,) * d``;
    `eigenvalues()` the ``lambda_k`` on the mode grid; `pointwise_variance()` the exact
    variance at each grid point (the truth the sampler is tested against).

    ```python
    grf = GaussianRandomField(1, 1024, sigma=25.0, tau=5.0, gamma=2.0)   # Burgers u0
    u0 = jax.vmap(grf)(jr.split(key, 1000))                            # (1000, 1024)
    ```
    """

    num_spatial_dims: int = eqx.field(static=True)
    num_points: int = eqx.field(static=True)
    sigma: float = eqx.field(static=True)
    tau: float = eqx.field(static=True)
    gamma: float = eqx.field(static=True)
    boundary: str = eqx.field(static=True)
    zero_mean: bool = eqx.field(static=True)
    num_modes: int = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims: int,
        num_points: int,
        *,
        sigma: float = 1.0,
        tau: float = 3.0,
        gamma: float = 2.0,
        boundary: Literal["periodic", "neumann"] = "periodic",
        zero_mean: bool = False,
        num_modes: int | None = None,
    ):
        if boundary not in ("periodic", "neumann"):
            raise ValueError(f"boundary={boundary!r}; expected 'periodic' or 'neumann'.")
        if num_spatial_dims < 1 or num_points < 2:
            raise ValueError(
                f"num_spatial_dims={num_spatial_dims}, num_points={num_points}; expected "
                "d >= 1 and at least 2 grid points per axis."
            )
        if sigma <= 0 or gamma <= 0 or tau < 0 or (tau == 0 and not zero_mean):
            raise ValueError(
                f"sigma={sigma}, tau={tau}, gamma={gamma}; expected sigma > 0, gamma > 0 and "
                "tau > 0 (tau = 0 is allowed only with zero_mean=True, as -Lap is singular)."
            )
        self.num_spatial_dims = int(num_spatial_dims)
        self.num_points = int(num_points)
        self.sigma = float(sigma)
        self.tau = float(tau)
        self.gamma = float(gamma)
        self.boundary = boundary
        self.zero_mean = bool(zero_mean)
        self.num_modes = int(num_modes if num_modes is not None else num_points)
        if not 1 <= self.num_modes <= self.num_points:
            raise ValueError(
                f"num_modes={num_modes} with num_points={num_points}; expected "
                "1 <= num_modes <= num_points."
            )

    def _mode_indices(self) -> list[np.ndarray]:
        if self.boundary == "periodic":
            k = np.fft.fftfreq(self.num_modes, 1.0 / self.num_modes)
        else:
            k = np.arange(self.num_modes, dtype=float)
        return np.meshgrid(*([k] * self.num_spatial_dims), indexing="ij")

    def eigenvalues(self) -> np.ndarray:
        """``lambda_k`` on the mode grid (FFT order for periodic, ``0..K-1`` for Neumann)."""
        ks = self._mode_indices()
        k2 = sum(k**2 for k in ks)
        scale = 4 * np.pi**2 if self.boundary == "periodic" else np.pi**2
        with np.errstate(divide="ignore"):  # k = 0 with tau = 0 is removed by zero_mean
            lam = self.sigma**2 * (scale * k2 + self.tau**2) ** (-self.gamma)
        if self.zero_mean:
            lam = np.where(k2 == 0, 0.0, lam)
        if (
            self.boundary == "periodic"
            and self.num_modes < self.num_points
            and self.num_modes % 2 == 0
        ):
            # A truncated set must be symmetric in k to embed as a real field: drop -K/2.
            nyquist = sum(np.abs(k) == self.num_modes // 2 for k in ks) > 0
            lam = np.where(nyquist, 0.0, lam)
        return lam

    def grid(self) -> np.ndarray:
        """The 1D grid coordinates along each axis."""
        n = self.num_points
        return np.arange(n) / n if self.boundary == "periodic" else np.linspace(0.0, 1.0, n)

    def _neumann_basis(self) -> np.ndarray:
        x = self.grid()
        k = np.arange(self.num_modes)
        norm = np.where(k == 0, 1.0, np.sqrt(2.0))
        return norm[None, :] * np.cos(np.pi * x[:, None] * k[None, :])  # (n, K)

    def pointwise_variance(self) -> np.ndarray:
        """Exact ``Var u(x_j) = sum_k lambda_k |e_k(x_j)|^2`` at every grid point."""
        lam = self.eigenvalues()
        if self.boundary == "periodic":
            return np.full((self.num_points,) * self.num_spatial_dims, lam.sum())
        basis_sq = self._neumann_basis() ** 2
        out = lam
        for _ in range(self.num_spatial_dims):
            # contract the leading mode axis with the basis; the grid axis moves to the back
            out = np.tensordot(out, basis_sq, axes=([0], [1]))
        return out

    def __call__(self, key: PRNGKeyArray) -> Float[Array, "*grid"]:
        d, n = self.num_spatial_dims, self.num_points
        dtype = jnp.zeros(()).dtype  # float32, or float64 under enable_float64()
        sqrt_lam = jnp.asarray(np.sqrt(self.eigenvalues()), dtype)
        if self.boundary == "periodic":
            m = self.num_modes
            white = jr.normal(key, (m,) * d, dtype)
            # fftn of unit white noise is Hermitian with E|Z_k|^2 = m^d, so these are the
            # Fourier coefficients c_k of e_k, with variance lambda_k.
            coeffs = jnp.fft.fftn(white) * sqrt_lam / np.sqrt(m**d)
            if m < n:
                # Same coefficients on any finer grid: the sample is one function of x,
                # evaluated at whichever resolution is asked (resolution-consistent data).
                index = np.mod(np.fft.fftfreq(m, 1.0 / m).astype(int), n)
                coeffs = jnp.zeros((n,) * d, coeffs.dtype).at[np.ix_(*[index] * d)].set(coeffs)
            return (jnp.fft.ifftn(coeffs).real * n**d).astype(dtype)
        xi = jr.normal(key, (self.num_modes,) * d, dtype) * sqrt_lam
        basis = jnp.asarray(self._neumann_basis(), dtype)
        out = xi
        for _ in range(d):
            out = jnp.tensordot(out, basis, axes=([0], [1]))
        return out
