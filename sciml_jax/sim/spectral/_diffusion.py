"""Heat / diffusion equation."""

import jax.numpy as jnp

from ..._types import Array
from ._base import AbstractSpectralStepper


class Diffusion(AbstractSpectralStepper):
    """Heat equation with an optional steady source on a periodic box, exact in Fourier space.

    $$u_t = \\alpha\\, \\Delta u + s(x) \\quad\\Rightarrow\\quad
      \\hat u_k(t + dt) = e^{-\\alpha |k|^2 dt}\\, \\hat u_k(t)
      + dt\\, \\varphi_1(-\\alpha |k|^2 dt)\\, \\hat s_k.$$

    Without a source the default is ETDRK0, with one ETDRK1; both are exact for every
    `dt`: the Fourier mode $\\sin(k x)$ decays exactly by $e^{-\\alpha k^2 t}$ up to
    round-off, and a time-independent source is integrated exactly.

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: the grid and step.
    - `diffusivity`: $\\alpha$.
    - `num_channels`: independent fields diffused together.
    - `source`: $s$ in physical space, `(num_channels, N, ..., N)`, or `None`.

    **Example:**

    ```python
    stepper = Diffusion(1, 2 * jnp.pi, 64, 0.1, diffusivity=0.5)
    u1 = stepper(jnp.sin(make_grid(1, 2 * jnp.pi, 64)))  # == exp(-0.05) sin(x)
    ```
    """

    diffusivity: float
    source_hat: Array | None

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float = 0.01,
        num_channels: int = 1,
        source: Array | None = None,
        order: int | None = None,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        self.diffusivity = diffusivity
        if source is not None:
            expected = (num_channels,) + (num_points,) * num_spatial_dims
            if jnp.shape(source) != expected:
                raise ValueError(
                    f"source must have the state shape {expected} (channels first), got "
                    f"{jnp.shape(source)}; add a channel axis with s[None]."
                )
            self.source_hat = jnp.fft.rfftn(source, axes=tuple(range(1, len(expected))))
        else:
            self.source_hat = None
        if order is None:
            order = 0 if source is None else 1
        if source is not None and order == 0:
            raise ValueError(
                "order=0 ignores the source term; use order=1 (exact for a steady source)."
            )
        self._setup(
            num_spatial_dims,
            domain_extent,
            num_points,
            dt,
            num_channels=num_channels,
            order=order,
            dealiasing_fraction=1.0,
            num_circle_points=num_circle_points,
            circle_radius=circle_radius,
        )

    def linear_symbol(self) -> Array:
        return -self.diffusivity * self.wavenumber_norm_squared()

    def nonlinear(self, u_hat: Array) -> Array:
        if self.source_hat is None:
            return 0.0 * u_hat
        return jnp.broadcast_to(self.source_hat, u_hat.shape).astype(u_hat.dtype)
