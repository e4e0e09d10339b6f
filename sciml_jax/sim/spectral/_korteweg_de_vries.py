"""Korteweg–de Vries equation."""

import jax.numpy as jnp

from ..._types import Array
from ._base import AbstractSpectralStepper


class KortewegDeVries(AbstractSpectralStepper):
    """Korteweg–de Vries equation on a periodic box, by ETDRK.

    $$u_t + a\\, \\tfrac12 \\textstyle\\sum_d \\partial_{x_d}(u^2)
      + \\delta \\textstyle\\sum_d \\partial_{x_d}^3 u = \\nu \\Delta u$$

    With $a = 6$, $\\delta = 1$, $\\nu = 0$ (the defaults) it has the soliton
    $u = \\tfrac c2 \\operatorname{sech}^2\\big(\\tfrac{\\sqrt c}{2}(x - ct - x_0)\\big)$.
    The dispersive symbol $i\\delta k^3$ is imaginary and stiff; ETDRK integrates it
    exactly (its phi functions are evaluated at complex arguments).

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: the grid and step.
    - `convection_coefficient`: $a$.
    - `dispersion_coefficient`: $\\delta$.
    - `diffusivity`: $\\nu$ (0 for the conservative equation).
    - `order`, `dealiasing_fraction`, `num_circle_points`, `circle_radius`: see `BurgersStepper`.
    """

    convection_coefficient: float
    dispersion_coefficient: float
    diffusivity: float

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        convection_coefficient: float = 6.0,
        dispersion_coefficient: float = 1.0,
        diffusivity: float = 0.0,
        order: int = 4,
        dealiasing_fraction: float = 2.0 / 3.0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        self.convection_coefficient = convection_coefficient
        self.dispersion_coefficient = dispersion_coefficient
        self.diffusivity = diffusivity
        self._setup(
            num_spatial_dims,
            domain_extent,
            num_points,
            dt,
            num_channels=1,
            order=order,
            dealiasing_fraction=dealiasing_fraction,
            num_circle_points=num_circle_points,
            circle_radius=circle_radius,
        )

    def linear_symbol(self) -> Array:
        # The Nyquist-zeroed i k keeps the symbol purely imaginary (the step conserves the
        # L2 norm exactly) and maps real fields to real fields: i k^3 at the Nyquist mode
        # would rotate its real coefficient into an imaginary part no real field has.
        dispersion = -self.dispersion_coefficient * jnp.sum(
            self.derivative**3, axis=0, keepdims=True
        )
        return dispersion - self.diffusivity * self.wavenumber_norm_squared()

    def nonlinear(self, u_hat: Array) -> Array:
        u = self.to_physical(self.dealias * u_hat)
        flux_hat = self.to_fourier(0.5 * u**2)
        divergence = jnp.sum(self.derivative, axis=0, keepdims=True) * flux_hat
        return -self.convection_coefficient * self.dealias * divergence
