"""Second-order finite-difference operators on uniform grids.

Fields are channel-first `(channels, n, ..., n)`. Two boundary treatments:

- `"periodic"`: `n` points on `[0, L)`, spacing `L / n`;
- `"dirichlet"`: `n` interior points of `[0, L]` with zero boundary values, spacing
  `L / (n + 1)` (the boundary points are not stored).
"""

from typing import Literal

import jax.numpy as jnp

from .._types import Array, Float

Boundary = Literal["periodic", "dirichlet"]


def check_boundary(boundary: str) -> None:
    """Refuse a boundary other than the two the finite-difference grids know."""
    if boundary not in ("periodic", "dirichlet"):
        raise ValueError(
            f"boundary must be 'periodic' or 'dirichlet', got {boundary!r}; "
            "'dirichlet' means zero values just outside the stored interior points."
        )


def fd_spacing(domain_extent: float, num_points: int, boundary: Boundary) -> float:
    """Grid spacing: `L / n` (periodic) or `L / (n + 1)` (Dirichlet interior points)."""
    check_boundary(boundary)
    return domain_extent / (num_points if boundary == "periodic" else num_points + 1)


def _shifted(u: Array, axis: int, shift: int, boundary: Boundary) -> Array:
    """`u` at index `i - shift` along `axis`, with periodic wrap or zero padding."""
    if boundary == "periodic":
        return jnp.roll(u, shift, axis=axis)
    pad = [(0, 0)] * u.ndim
    pad[axis] = (1, 1)
    padded = jnp.pad(u, pad)
    start = 1 - shift
    return jnp.take(padded, jnp.arange(start, start + u.shape[axis]), axis=axis)


def fd_laplacian(
    u: Float[Array, " channels *grid"], spacing: float, boundary: Boundary = "periodic"
) -> Float[Array, " channels *grid"]:
    """The $(2d + 1)$-point Laplacian $\\sum_d (u_{i+1} - 2u_i + u_{i-1}) / h^2$.

    Second-order accurate. Its eigenvalues are $-\\frac{4}{h^2}\\sum_d
    \\sin^2(\\pi m_d / n)$ (periodic) and $-\\frac{4}{h^2}\\sum_d \\sin^2(\\pi m_d /
    (2(n + 1)))$, $m_d = 1..n$ (Dirichlet).

    **Arguments:**

    - `u`: a channel-first field `(channels, n, ..., n)`.
    - `spacing`: $h$ (see `fd_spacing`).
    - `boundary`: `"periodic"` or `"dirichlet"`.

    **Returns:**

    The discrete Laplacian, same shape as `u`.
    """
    check_boundary(boundary)
    result = jnp.zeros_like(u)
    for axis in range(1, u.ndim):
        result = result + _shifted(u, axis, 1, boundary) + _shifted(u, axis, -1, boundary) - 2 * u
    return result / spacing**2


def fd_gradient(
    u: Float[Array, " channels *grid"],
    spacing: float,
    *,
    axis: int = 0,
    boundary: Boundary = "periodic",
) -> Float[Array, " channels *grid"]:
    """Central difference $(u_{i+1} - u_{i-1}) / 2h$ along spatial `axis` (0 = x)."""
    check_boundary(boundary)
    if not 0 <= axis < u.ndim - 1:
        raise ValueError(
            f"axis must be in [0, {u.ndim - 1}) for a field of shape {u.shape}, got {axis}."
        )
    array_axis = axis + 1
    forward = _shifted(u, array_axis, -1, boundary)
    backward = _shifted(u, array_axis, 1, boundary)
    return (forward - backward) / (2 * spacing)


def fd_laplacian_eigenvalues(
    num_points: int, spacing: float, boundary: Boundary = "periodic"
) -> Float[Array, " n"]:
    """The 1D eigenvalues of `fd_laplacian` in the order of its eigenbasis.

    Periodic: Fourier modes $m = 0..n-1$ (FFT order); Dirichlet: sine modes $m = 1..n$.
    """
    check_boundary(boundary)
    if boundary == "periodic":
        m = jnp.arange(num_points)
        return -4 / spacing**2 * jnp.sin(jnp.pi * m / num_points) ** 2
    m = jnp.arange(1, num_points + 1)
    return -4 / spacing**2 * jnp.sin(jnp.pi * m / (2 * (num_points + 1))) ** 2


def dst1(u: Array, axis: int = -1) -> Array:
    """The type-I discrete sine transform $\\sum_j u_j \\sin(\\pi (j+1)(k+1) / (n+1))$.

    It diagonalises the Dirichlet `fd_laplacian`; it is its own inverse up to the factor
    $2 / (n + 1)$. Computed by an FFT of the odd extension of length $2(n + 1)$.
    """
    u = jnp.moveaxis(u, axis, -1)
    zero = jnp.zeros(u.shape[:-1] + (1,), u.dtype)
    extended = jnp.concatenate([zero, u, zero, -u[..., ::-1]], axis=-1)
    transformed = -jnp.fft.rfft(extended, axis=-1).imag[..., 1 : u.shape[-1] + 1] / 2
    return jnp.moveaxis(transformed.astype(u.dtype), -1, axis)
