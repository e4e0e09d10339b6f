"""The shared base of every periodic spectral stepper."""

import abc

import equinox as eqx
import jax.numpy as jnp

from ... import ops
from ..._types import Array, Float
from ._etdrk import ETDRK


class AbstractSpectralStepper(eqx.Module):
    """A time stepper for $\\partial_t u = \\mathcal{L} u + \\mathcal{N}(u)$ on a periodic box.

    Subclasses state one PDE by two template hooks:

    - `linear_symbol()`: the Fourier symbol of the linear operator $\\mathcal{L}$ (the
      stiff part, integrated exactly by ETDRK); it must map real fields to real fields,
      so odd derivatives use `self.derivative` (Nyquist mode zeroed), not `1j * k`;
    - `nonlinear(u_hat)`: $\\widehat{\\mathcal{N}(u)}$ from $\\hat u$ (explicit part).

    and call `self._setup(...)` at the end of their `__init__`. `__call__` advances one
    unbatched, channel-first state `(channels, N, ..., N)` by `dt`; use `jax.vmap` for
    batches and `sciml_jax.sim.rollout` for trajectories.

    Fields common to all steppers: `num_spatial_dims`, `domain_extent` (the period $L$),
    `num_points` (per axis), `num_channels`, `dt`, `integrator` (an `ETDRK`).
    """

    num_spatial_dims: int = eqx.field(static=True)
    domain_extent: float = eqx.field(static=True)
    num_points: int = eqx.field(static=True)
    num_channels: int = eqx.field(static=True)
    dt: float
    integrator: ETDRK
    dealias: Array
    derivative: Array

    @abc.abstractmethod
    def linear_symbol(self) -> Array:
        """The symbol of the linear part, broadcastable to `(channels, *spectral_shape)`."""

    @abc.abstractmethod
    def nonlinear(self, u_hat: Array) -> Array:
        """The Fourier transform of the nonlinear part of the right-hand side."""

    def _setup(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        num_channels: int,
        order: int,
        dealiasing_fraction: float,
        num_circle_points: int,
        circle_radius: float,
    ) -> None:
        ops.check_grid(num_spatial_dims, domain_extent, num_points)
        if isinstance(dt, int | float) and not dt > 0:
            raise ValueError(f"dt must be > 0, got {dt!r}; pass the time step size.")
        self.num_spatial_dims = num_spatial_dims
        self.domain_extent = domain_extent
        self.num_points = num_points
        self.num_channels = num_channels
        self.dt = dt
        self.dealias = ops.dealiasing_mask(num_spatial_dims, num_points, dealiasing_fraction)
        self.derivative = ops.derivative_symbol(num_spatial_dims, domain_extent, num_points)
        self.integrator = ETDRK(
            self.linear_symbol(),
            dt,
            order,
            num_circle_points=num_circle_points,
            circle_radius=circle_radius,
        )

    # Helpers shared by the nonlinear terms of the subclasses.
    def wavenumbers(self) -> Array:
        """Angular wavenumbers `(dims, *spectral_shape)`."""
        return ops.wavenumbers(self.num_spatial_dims, self.domain_extent, self.num_points)

    def wavenumber_norm_squared(self) -> Array:
        """$|k|^2$ on the spectral grid, `(1, *spectral_shape)`."""
        return jnp.sum(self.wavenumbers() ** 2, axis=0, keepdims=True)

    def to_fourier(self, u: Float[Array, " channels *grid"]) -> Array:
        """`rfftn` over space."""
        return ops.fft(u, self.num_spatial_dims)

    def to_physical(self, u_hat: Array) -> Float[Array, " channels *grid"]:
        """Inverse of `to_fourier`."""
        return ops.ifft(u_hat, self.num_spatial_dims, self.num_points)

    @property
    def state_shape(self) -> tuple[int, ...]:
        """`(num_channels, N, ..., N)`."""
        return (self.num_channels,) + (self.num_points,) * self.num_spatial_dims

    def step_fourier(self, u_hat: Array) -> Array:
        """One step on the Fourier coefficients (skips the transforms of `__call__`)."""
        return self.integrator.step(u_hat, self.nonlinear)

    def __call__(self, u: Float[Array, " channels *grid"]) -> Float[Array, " channels *grid"]:
        """Advance one unbatched state by `dt`.

        **Arguments:**

        - `u`: the state, shape `(num_channels, N, ..., N)`.

        **Returns:**

        The state at $t + dt$, same shape.
        """
        self.check_state(u)
        return self.to_physical(self.step_fourier(self.to_fourier(u))).astype(u.dtype)

    def check_state(self, u: Array) -> None:
        """Raise a `ValueError` naming the fix unless `u` is one unbatched state."""
        if jnp.shape(u) != self.state_shape:
            raise ValueError(
                f"{type(self).__name__} advances one unbatched state of shape "
                f"{self.state_shape} (channels first), got {jnp.shape(u)}; "
                "use jax.vmap(stepper) for a batch and add a leading channel axis "
                "(u[None]) to a bare field."
            )
        if not jnp.issubdtype(jnp.result_type(u), jnp.floating):
            raise ValueError(
                f"{type(self).__name__} got a state of dtype {jnp.result_type(u)}; expected a "
                "real floating dtype; cast with u.astype(jnp.float32)."
            )
