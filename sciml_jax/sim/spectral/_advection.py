"""Linear advection equation."""

import jax.numpy as jnp

from ..._types import Array
from ._base import AbstractSpectralStepper


class Advection(AbstractSpectralStepper):
    """Linear advection on a periodic box, solved exactly in Fourier space.

    $$u_t + c \\cdot \\nabla u = 0 \\quad\\Rightarrow\\quad
      \\hat u_k(t + dt) = e^{-i\\, c \\cdot k\\, dt}\\, \\hat u_k(t),$$

    a pure translation by $c\\, dt$ (exact, no CFL limit).

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: the grid and step.
    - `velocity`: $c$, a scalar (same on every axis) or one value per axis.

    **Example:**

    ```python
    stepper = Advection(1, 1.0, 128, 0.01, velocity=1.0)   # 100 steps = one period
    ```
    """

    velocity: Array

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        velocity: float | Array = 1.0,
        num_channels: int = 1,
        order: int = 0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        velocity = jnp.broadcast_to(jnp.asarray(velocity), (num_spatial_dims,))
        self.velocity = velocity
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
        c = self.velocity.reshape((-1,) + (1,) * self.num_spatial_dims)
        return -jnp.sum(c * self.derivative, axis=0, keepdims=True)

    def nonlinear(self, u_hat: Array) -> Array:
        return 0.0 * u_hat
