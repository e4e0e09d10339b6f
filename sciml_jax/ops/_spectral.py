"""Fourier-space operators on periodic grids.

A periodic grid with `num_points` points per axis on `[origin, origin + domain_extent)`
stores fields channel-first, `(channels, n, ..., n)`. In Fourier space the last spatial
axis is halved by `rfft` (`n // 2 + 1` modes) and the other axes keep all `n` modes.
"""

import jax.numpy as jnp
import numpy as np

from .._types import Array, Float


def check_grid(num_spatial_dims: int, domain_extent: float, num_points: int) -> None:
    """Refuse a periodic grid that is not 1-3D, has fewer than 2 points or no extent."""
    if num_spatial_dims not in (1, 2, 3):
        raise ValueError(
            f"num_spatial_dims must be 1, 2 or 3, got {num_spatial_dims!r}; "
            "pass the number of space dimensions of the periodic box."
        )
    if not isinstance(num_points, int) or num_points < 2:
        raise ValueError(
            f"num_points must be an int >= 2, got {num_points!r}; "
            "pass the number of grid points per axis, e.g. 256."
        )
    if isinstance(domain_extent, int | float) and not domain_extent > 0:
        raise ValueError(
            f"domain_extent must be > 0, got {domain_extent!r}; pass the period length L."
        )


def make_grid(
    num_spatial_dims: int,
    domain_extent: float,
    num_points: int,
    *,
    origin: float = 0.0,
) -> Float[Array, " dims *grid"]:
    """Coordinates of a uniform periodic grid (right end excluded).

    $x_j = \\text{origin} + j L / N$, $j = 0, \\dots, N - 1$ on every axis.

    **Arguments:**

    - `num_spatial_dims`: 1, 2 or 3.
    - `domain_extent`: the period $L$.
    - `num_points`: $N$, points per axis.
    - `origin`: the left end of the box (e.g. `-1.0` for $[-1, 1)$ with $L = 2$).

    **Returns:**

    An array `(num_spatial_dims, N, ..., N)`: entry `d` holds the `d`-th coordinate, so
    `make_grid(1, 2.0, 8, origin=-1.0)[0]` is the 1D grid and a 2D field is built as
    `f(*make_grid(2, 1.0, 64))`.
    """
    check_grid(num_spatial_dims, domain_extent, num_points)
    x = origin + jnp.arange(num_points) * (domain_extent / num_points)
    return jnp.stack(jnp.meshgrid(*([x] * num_spatial_dims), indexing="ij"))


def spectral_shape(num_spatial_dims: int, num_points: int) -> tuple[int, ...]:
    """Shape of the `rfftn` of an `(N, ..., N)` field: `(N, ..., N, N // 2 + 1)`."""
    return (num_points,) * (num_spatial_dims - 1) + (num_points // 2 + 1,)


def wavenumbers(
    num_spatial_dims: int, domain_extent: float, num_points: int
) -> Float[Array, " dims *spectral"]:
    """Angular wavenumbers $k = 2 \\pi m / L$ laid out like `rfftn` output.

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`: as in `make_grid`.

    **Returns:**

    An array `(num_spatial_dims, N, ..., N // 2 + 1)`; entry `d` is $k_d$ on the
    spectral grid, so `1j * wavenumbers(...)[0]` is the symbol of $\\partial_x$.
    """
    check_grid(num_spatial_dims, domain_extent, num_points)
    # The integer wavenumbers depend on static sizes only: numpy, no device ops to dispatch.
    integer = _integer_wavenumbers(num_spatial_dims, num_points)
    return jnp.asarray(integer, dtype=float) * (2 * jnp.pi / domain_extent)


def _integer_wavenumbers(num_spatial_dims: int, num_points: int) -> np.ndarray:
    return _integer_wavenumbers_of_grid((num_points,) * num_spatial_dims)


def _integer_wavenumbers_of_grid(grid: tuple[int, ...]) -> np.ndarray:
    # rfftn layout: the full fftfreq on every axis but the last, which is halved
    axes = [np.fft.fftfreq(n, 1.0 / n) for n in grid[:-1]]
    axes.append(np.fft.rfftfreq(grid[-1], 1.0 / grid[-1]))
    return np.stack(np.meshgrid(*axes, indexing="ij"))


def derivative_symbol(
    num_spatial_dims: int, domain_extent: float, num_points: int
) -> Float[Array, " dims *spectral"]:
    """The symbol `i k` of the gradient, with the Nyquist mode zeroed.

    For even `N` the Nyquist mode of a real field has no sign, so an odd derivative of it
    is not real; zeroing it keeps derivatives of real fields real (Trefethen, *Spectral
    Methods in MATLAB*, ch. 3).

    **Returns:**

    A complex array `(num_spatial_dims, N, ..., N // 2 + 1)`.
    """
    k = wavenumbers(num_spatial_dims, domain_extent, num_points)
    nyquist = np.abs(_integer_wavenumbers(num_spatial_dims, num_points)) == num_points / 2
    return jnp.where(nyquist, 0.0, k) * 1j


def dealiasing_mask(
    num_spatial_dims: int, num_points: int, fraction: float = 2.0 / 3.0
) -> Float[Array, " 1 *spectral"]:
    """The Orszag 2/3-rule low-pass mask in `rfftn` layout.

    Keeps the modes with $|m_d| <$ `fraction` $\\cdot \\lfloor N / 2 \\rfloor$ on every axis
    (for odd $N$ that can be one mode fewer than `fraction` $\\cdot N/2$; still alias-free). With
    `fraction = 2/3` a quadratic product of masked fields is alias-free on the kept modes
    (that needs $3K < N$ for the highest kept mode $K$, hence the strict bound: at
    $N = 48$ mode 16 goes); with `1/2` a cubic one is. `fraction = 1` keeps every mode.

    **Returns:**

    A 0/1 float array `(1, N, ..., N // 2 + 1)` that broadcasts over channels.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(
            f"dealiasing fraction must be in (0, 1], got {fraction!r}; "
            "use 2/3 for quadratic nonlinearities, 1/2 for cubic ones, 1 for none."
        )
    check_grid(num_spatial_dims, 1.0, num_points)
    k = _integer_wavenumbers(num_spatial_dims, num_points)
    if fraction == 1.0:
        return jnp.ones((1, *k.shape[1:]))
    cutoff = fraction * (num_points // 2)
    keep = np.all(np.abs(k) < cutoff - 1e-6, axis=0)
    return jnp.asarray(keep[None], dtype=float)


def spatial_axes(num_spatial_dims: int) -> tuple[int, ...]:
    """The trailing axes that hold space in a channel-first field."""
    return tuple(range(-num_spatial_dims, 0))


def fft(u: Float[Array, " channels *grid"], num_spatial_dims: int) -> Array:
    """`rfftn` over the spatial axes of a channel-first field."""
    return jnp.fft.rfftn(u, axes=spatial_axes(num_spatial_dims))


def ifft(u_hat: Array, num_spatial_dims: int, num_points: int) -> Float[Array, " channels *grid"]:
    """Inverse of `fft`; `num_points` resolves the halved last axis."""
    return jnp.fft.irfftn(
        u_hat, s=(num_points,) * num_spatial_dims, axes=spatial_axes(num_spatial_dims)
    )


def spectral_derivative(
    u: Float[Array, " channels *grid"],
    domain_extent: float,
    *,
    axis: int = 0,
    order: int = 1,
) -> Float[Array, " channels *grid"]:
    """$\\partial^{\\text{order}} u / \\partial x_{\\text{axis}}^{\\text{order}}$ by FFT.

    Exact for trigonometric polynomials resolved on the grid.

    **Arguments:**

    - `u`: a channel-first periodic field `(channels, N, ..., N)`.
    - `domain_extent`: the period $L$.
    - `axis`: which spatial axis (0 = x).
    - `order`: derivative order >= 1.

    **Example:**

    ```python
    x = make_grid(1, 2 * jnp.pi, 32)
    du = spectral_derivative(jnp.sin(x), 2 * jnp.pi)   # == cos(x)
    ```
    """
    num_spatial_dims = u.ndim - 1
    num_points = u.shape[-1]
    if not 0 <= axis < num_spatial_dims:
        raise ValueError(
            f"axis must be in [0, {num_spatial_dims}) for a field of shape {u.shape}, "
            f"got {axis}; fields are channel-first (channels, *grid)."
        )
    if order % 2 == 1:
        symbol = derivative_symbol(num_spatial_dims, domain_extent, num_points)[axis]
    else:
        symbol = 1j * wavenumbers(num_spatial_dims, domain_extent, num_points)[axis]
    return ifft(symbol**order * fft(u, num_spatial_dims), num_spatial_dims, num_points)


def project_modes(
    u: Float[Array, " channels *grid"], keep_modes: int | None = None, zero_mean: bool = False
) -> Float[Array, " channels *grid"]:
    """Orthogonal projection of a periodic field onto its low Fourier modes.

    $$ (P u)^\\wedge_k = \\hat u_k \\;\\text{if}\\; \\max_i |k_i| < K
    \\;(\\text{and } k \\neq 0 \\text{ if zero\\_mean}), \\quad 0 \\text{ otherwise} $$

    with integer wavenumbers ``k`` on every spatial axis of the grid.

    **Arguments:**

    - `u`: ``(channels, *grid)`` samples on a uniform periodic grid.
    - `keep_modes`: K, the number of retained wavenumbers per axis (``|k| < K``); None
      keeps all. Must be at least 1 and at most ``n // 2`` for every axis of size n (a
      larger K would keep everything and hide a configuration mistake).
    - `zero_mean`: also remove the ``k = 0`` mode of every channel.

    **Returns:** the projected field, same shape and dtype.
    """
    grid = u.shape[1:]
    if keep_modes is None and not zero_mean:
        return u
    if keep_modes is not None and not 1 <= keep_modes <= min(grid) // 2:
        raise ValueError(
            f"keep_modes={keep_modes} on a grid of shape {grid}; expected 1 <= keep_modes <= "
            f"{min(grid) // 2} (half the smallest grid size), or None to keep all modes."
        )
    axes = spatial_axes(u.ndim - 1)
    spectrum = jnp.fft.rfftn(u, axes=axes)
    magnitude = np.abs(_integer_wavenumbers_of_grid(grid))
    keep = np.ones(spectrum.shape[1:], bool)
    if keep_modes is not None:
        keep &= magnitude.max(axis=0) < keep_modes
    if zero_mean:
        keep &= magnitude.sum(axis=0) > 0
    return jnp.fft.irfftn(spectrum * keep, s=grid, axes=axes).astype(u.dtype)


def cell_size(domain_extent: float, num_points: int) -> float:
    """Grid spacing $L / N$ of a periodic grid."""
    return domain_extent / num_points


__all__ = [
    "check_grid",
    "make_grid",
    "wavenumbers",
    "derivative_symbol",
    "dealiasing_mask",
    "spectral_shape",
    "fft",
    "ifft",
    "spectral_derivative",
    "project_modes",
    "cell_size",
]
