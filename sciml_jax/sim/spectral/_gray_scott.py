"""Gray–Scott reaction–diffusion system."""

import jax.numpy as jnp

from ..._types import Array
from ._base import AbstractSpectralStepper


class GrayScott(AbstractSpectralStepper):
    """Gray–Scott reaction–diffusion on a periodic box, by ETDRK. Two channels $(u, v)$.

    $$u_t = D_u \\Delta u - u v^2 + F (1 - u), \\qquad
      v_t = D_v \\Delta v + u v^2 - (F + \\kappa) v$$

    The diffusion and the linear feed/kill terms are integrated exactly; the cubic
    reaction explicitly. $(u, v) = (1, 0)$ is a steady state.

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: the grid and step.
    - `diffusivity_u`, `diffusivity_v`: $D_u$, $D_v$.
    - `feed_rate`: $F$.
    - `kill_rate`: $\\kappa$.
    - `order`, `dealiasing_fraction`, `num_circle_points`, `circle_radius`: see `BurgersStepper`.
    """

    diffusivity_u: float
    diffusivity_v: float
    feed_rate: float
    kill_rate: float

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity_u: float = 2e-5,
        diffusivity_v: float = 1e-5,
        feed_rate: float = 0.04,
        kill_rate: float = 0.06,
        order: int = 2,
        dealiasing_fraction: float = 1.0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        self.diffusivity_u = diffusivity_u
        self.diffusivity_v = diffusivity_v
        self.feed_rate = feed_rate
        self.kill_rate = kill_rate
        self._setup(
            num_spatial_dims,
            domain_extent,
            num_points,
            dt,
            num_channels=2,
            order=order,
            dealiasing_fraction=dealiasing_fraction,
            num_circle_points=num_circle_points,
            circle_radius=circle_radius,
        )

    def linear_symbol(self) -> Array:
        k2 = self.wavenumber_norm_squared()[0]
        return jnp.stack(
            [
                -self.diffusivity_u * k2 - self.feed_rate,
                -self.diffusivity_v * k2 - (self.feed_rate + self.kill_rate),
            ]
        )

    def nonlinear(self, u_hat: Array) -> Array:
        u, v = self.to_physical(self.dealias * u_hat)
        reaction = u * v**2
        physical = jnp.stack([-reaction + self.feed_rate, reaction])
        return self.dealias * self.to_fourier(physical)
