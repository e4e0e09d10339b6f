"""Viscous Burgers equation."""

from typing import Literal

import equinox as eqx
import jax.numpy as jnp

from ..._types import Array
from ._base import AbstractSpectralStepper


class BurgersStepper(AbstractSpectralStepper):
    """Viscous Burgers equation on a periodic box, by ETDRK.

    $$u_t + b\\, \\tfrac12 \\textstyle\\sum_d \\partial_{x_d} (u^2) = \\nu \\Delta u$$

    In 1D this is $u_t + b\\, u u_x = \\nu u_{xx}$. The state has one channel.

    The convection can be evaluated in `"conservative"` form $\\tfrac12 (u^2)_x$ (the
    default; conserves the mean exactly) or in `"advective"` form $u\\, u_x$. Both are
    dealiased by the 2/3 rule unless `dealiasing_fraction=1`. For well-resolved runs the
    advective form without dealiasing is the most accurate: on the classic
    $\\nu = 0.01/\\pi$, $u_0 = -\\sin \\pi x$ problem at $N = 1024$ (float64, ETDRK4,
    $t \\le 0.99$) its relative L2 error against Cole–Hopf is $6.5 \\cdot 10^{-10}$, versus
    $1.2 \\cdot 10^{-8}$ (conservative, no dealiasing) and $1.4 \\cdot 10^{-6}$
    (conservative, 2/3 rule, which truncates the resolved steep front).

    **Arguments:**

    - `num_spatial_dims`: 1, 2 or 3.
    - `domain_extent`: the period $L$.
    - `num_points`: grid points per axis.
    - `dt`: time step.
    - `diffusivity`: $\\nu$.
    - `convection_coefficient`: $b$.
    - `convection_form`: `"conservative"` or `"advective"`.
    - `order`: ETDRK order (1 to 4; default 2).
    - `dealiasing_fraction`: 2/3 (Orszag); 1 keeps every mode.
    - `num_circle_points`, `circle_radius`: contour of the phi functions.

    **Example:**

    ```python
    stepper = BurgersStepper(1, 2.0, 1024, 1e-3, diffusivity=0.01 / jnp.pi, order=4)
    x = make_grid(1, 2.0, 1024, origin=-1.0)
    trajectory = rollout(stepper, -jnp.sin(jnp.pi * x), 1000, save_every=10)
    ```

    Explicit convection needs the CFL condition $\\max|b u|\\, dt / \\Delta x \\lesssim 1$.
    """

    diffusivity: float
    convection_coefficient: float
    convection_form: Literal["conservative", "advective"] = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float = 0.1,
        convection_coefficient: float = 1.0,
        convection_form: Literal["conservative", "advective"] = "conservative",
        order: int = 2,
        dealiasing_fraction: float = 2.0 / 3.0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        self.diffusivity = diffusivity
        if convection_form not in ("conservative", "advective"):
            raise ValueError(
                f"convection_form must be 'conservative' or 'advective', got {convection_form!r}."
            )
        self.convection_coefficient = convection_coefficient
        self.convection_form = convection_form
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
        return -self.diffusivity * self.wavenumber_norm_squared()

    def nonlinear(self, u_hat: Array) -> Array:
        u_hat = self.dealias * u_hat
        u = self.to_physical(u_hat)
        derivative = jnp.sum(self.derivative, axis=0, keepdims=True)
        if self.convection_form == "conservative":
            convection = derivative * self.to_fourier(0.5 * u**2)
        else:
            convection = self.to_fourier(u * self.to_physical(derivative * u_hat))
        return -self.convection_coefficient * self.dealias * convection
