"""Finite-difference heat equation: explicit (forward Euler) and Crank–Nicolson steps."""

import abc

import equinox as eqx
import jax.numpy as jnp

from ..._types import Array, Float
from ...ops import (
    Boundary,
    check_boundary,
    dst1,
    fd_laplacian,
    fd_laplacian_eigenvalues,
    fd_spacing,
)


def _check(num_spatial_dims: int, num_points: int, dt) -> None:
    if num_spatial_dims not in (1, 2, 3):
        raise ValueError(f"num_spatial_dims must be 1, 2 or 3, got {num_spatial_dims!r}.")
    if not isinstance(num_points, int) or num_points < 2:
        raise ValueError(f"num_points must be an int >= 2, got {num_points!r}.")
    if isinstance(dt, int | float) and not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt!r}.")


class AbstractHeatFD(eqx.Module):
    """Grid, boundary and coefficients shared by the finite-difference heat steppers."""

    num_spatial_dims: int = eqx.field(static=True)
    domain_extent: float = eqx.field(static=True)
    num_points: int = eqx.field(static=True)
    boundary: Boundary = eqx.field(static=True)
    dt: float
    diffusivity: float

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float = 1.0,
        boundary: Boundary = "periodic",
    ):
        _check(num_spatial_dims, num_points, dt)
        check_boundary(boundary)
        self.num_spatial_dims = num_spatial_dims
        self.domain_extent = domain_extent
        self.num_points = num_points
        self.boundary = boundary
        self.dt = dt
        self.diffusivity = diffusivity

    @property
    def spacing(self) -> float:
        return fd_spacing(self.domain_extent, self.num_points, self.boundary)

    @property
    def state_shape(self) -> tuple[int, ...]:
        return (1,) + (self.num_points,) * self.num_spatial_dims

    @abc.abstractmethod
    def __call__(self, u: Float[Array, " 1 *grid"]) -> Float[Array, " 1 *grid"]:
        raise NotImplementedError

    def check_state(self, u: Array) -> None:
        """Raise a `ValueError` naming the fix unless `u` is one real unbatched state."""
        if jnp.shape(u) != self.state_shape or not jnp.issubdtype(jnp.result_type(u), jnp.floating):
            raise ValueError(
                f"{type(self).__name__} got a state of shape {jnp.shape(u)} and dtype "
                f"{jnp.result_type(u)}; expected shape {self.state_shape} (channels first) "
                "and a real floating dtype; vmap for a batch, add u[None] to a bare field."
            )


class HeatExplicit(AbstractHeatFD):
    """Forward-Euler step of $u_t = \\alpha \\Delta u$ with the second-order FD Laplacian.

    $$u^{n+1} = u^n + \\alpha\\, dt\\, \\Delta_h u^n$$

    written as a residual block (the form a learned correction can be added to).
    Its amplification factors are $1 - 4 r \\sum_d \\sin^2(\\pi m_d / n)$ with
    $r = \\alpha\\, dt / h^2$ (periodic), so it is stable iff $r \\le 1 / (2d)$; in 1D the
    classic CFL limit $\\alpha\\, dt / h^2 \\le 1/2$. `sciml_jax.analysis.max_stable_dt`
    recovers it from the step alone.

    **Arguments:**

    - `num_spatial_dims`: 1, 2 or 3.
    - `domain_extent`: $L$.
    - `num_points`: $n$ stored points per axis (see `sciml_jax.ops.fd_spacing`).
    - `dt`: time step (read at call time, so `eqx.tree_at` can change it).
    - `diffusivity`: $\\alpha$.
    - `boundary`: `"periodic"` or `"dirichlet"` (homogeneous).
    """

    def __call__(self, u: Float[Array, " 1 *grid"]) -> Float[Array, " 1 *grid"]:
        """One explicit step of one unbatched state `(1, n, ..., n)`."""
        self.check_state(u)
        return u + self.diffusivity * self.dt * fd_laplacian(u, self.spacing, self.boundary)


class HeatCrankNicolson(AbstractHeatFD):
    """Crank–Nicolson step of $u_t = \\alpha \\Delta u$ with the FD Laplacian.

    $$\\left(I - \\tfrac{\\alpha dt}{2} \\Delta_h\\right) u^{n+1}
      = \\left(I + \\tfrac{\\alpha dt}{2} \\Delta_h\\right) u^n$$

    Second order in time and unconditionally stable (amplification
    $(1 + r\\lambda/2)/(1 - r\\lambda/2) \\in (-1, 1]$). The linear system is solved
    exactly in the eigenbasis of $\\Delta_h$: FFT for periodic, the type-I sine transform
    for Dirichlet boundaries, so one step costs a few FFTs.

    **Arguments:** as `HeatExplicit`.
    """

    def _eigenvalues(self) -> Array:
        """$\\sum_d \\lambda_{m_d}$ on the grid of the eigenbasis."""
        eig = fd_laplacian_eigenvalues(self.num_points, self.spacing, self.boundary)
        if self.boundary == "periodic":
            axes_eig = [eig] * (self.num_spatial_dims - 1) + [eig[: self.num_points // 2 + 1]]
        else:
            axes_eig = [eig] * self.num_spatial_dims
        grids = jnp.meshgrid(*axes_eig, indexing="ij")
        return sum(grids)[None]

    def __call__(self, u: Float[Array, " 1 *grid"]) -> Float[Array, " 1 *grid"]:
        """One Crank–Nicolson step of one unbatched state `(1, n, ..., n)`."""
        self.check_state(u)
        half = 0.5 * self.diffusivity * self.dt * self._eigenvalues()
        factor = (1 + half) / (1 - half)
        axes = tuple(range(1, u.ndim))
        if self.boundary == "periodic":
            u_hat = jnp.fft.rfftn(u, axes=axes)
            return jnp.fft.irfftn(factor * u_hat, s=u.shape[1:], axes=axes).astype(u.dtype)
        coefficients = u
        for axis in axes:
            coefficients = dst1(coefficients, axis)
        coefficients = factor * coefficients
        for axis in axes:
            coefficients = dst1(coefficients, axis) * (2 / (self.num_points + 1))
        return coefficients.astype(u.dtype)
