"""Viscous Burgers equation."""

import jax.numpy as jnp

from .._types import Array
from ._base import AbstractSpectralStepper


class Burgers(AbstractSpectralStepper):
    """Viscous Burgers equation on a periodic box, by ETDRK.

    $$u_t + b\\, \\tfrac12 \\textstyle\\sum_d \\partial_{x_d} (u^2) = \\nu \\Delta u$$

    In 1D this is $u_t + b\\, u u_x = \\nu u_{xx}$. The convection is written in
    conservative form and dealiased by the 2/3 rule. The state has one channel.

    **Arguments:**

    - `num_spatial_dims`: 1, 2 or 3.
    - `domain_extent`: the period $L$.
    - `num_points`: grid points per axis.
    - `dt`: time step.
    - `diffusivity`: $\\nu$.
    - `convection_coefficient`: $b$.
    - `order`: ETDRK order (1 to 4; default 2).
    - `dealiasing_fraction`: 2/3 (Orszag); 1 keeps every mode.
    - `num_circle_points`, `circle_radius`: contour of the phi functions.

    **Example:**

    ```python
    stepper = Burgers(1, 2.0, 1024, 1e-3, diffusivity=0.01 / jnp.pi, order=4)
    x = make_grid(1, 2.0, 1024, origin=-1.0)
    trajectory = rollout(stepper, -jnp.sin(jnp.pi * x), 1000, save_every=10)
    ```

    Explicit convection needs the CFL condition $\\max|b u|\\, dt / \\Delta x \\lesssim 1$.
    """

    diffusivity: float
    convection_coefficient: float

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float = 0.1,
        convection_coefficient: float = 1.0,
        order: int = 2,
        dealiasing_fraction: float = 2.0 / 3.0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        self.diffusivity = diffusivity
        self.convection_coefficient = convection_coefficient
        self._setup(
            num_spatial_dims, domain_extent, num_points, dt,
            num_channels=1, order=order, dealiasing_fraction=dealiasing_fraction,
            num_circle_points=num_circle_points, circle_radius=circle_radius,
        )

    def linear_symbol(self) -> Array:
        return -self.diffusivity * self.wavenumber_norm_squared()

    def nonlinear(self, u_hat: Array) -> Array:
        u = self.to_physical(self.dealias * u_hat)
        flux_hat = self.to_fourier(0.5 * u**2)
        divergence = jnp.sum(self.derivative, axis=0, keepdims=True) * flux_hat
        return -self.convection_coefficient * self.dealias * divergence
