"""Kuramoto–Sivashinsky equation."""

from typing import Literal

import equinox as eqx
import jax.numpy as jnp

from ..._types import Array
from ._base import AbstractSpectralStepper


class KuramotoSivashinsky(AbstractSpectralStepper):
    """Kuramoto–Sivashinsky equation on a periodic box, by ETDRK.

    `form="conservative"` (Kassam & Trefethen 2005; 1D):

    $$u_t + \\tfrac12 \\textstyle\\sum_d \\partial_{x_d}(u^2) + \\Delta u + \\Delta^2 u = 0,$$

    `form="combustion"` (the gradient form, any dimension):

    $$u_t + \\tfrac12 |\\nabla u|^2 + \\Delta u + \\Delta^2 u = 0.$$

    Modes with $|k| < 1$ grow (linear symbol $|k|^2 - |k|^4$), the nonlinearity moves their
    energy to high $k$ where hyperviscosity damps it: the dynamics are chaotic for
    $L \\gtrsim 20$. Typical setups: $L = 32\\pi$ (Kassam–Trefethen), $L = 60$ (exponax).

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: the grid and step.
    - `form`: `"conservative"` or `"combustion"`.
    - `order`, `dealiasing_fraction`, `num_circle_points`, `circle_radius`: see `BurgersStepper`.

    **Example:**

    ```python
    stepper = KuramotoSivashinsky(1, 32 * jnp.pi, 256, 0.25, order=4)
    x = make_grid(1, 32 * jnp.pi, 256)
    u0 = jnp.cos(x / 16) * (1 + jnp.sin(x / 16))
    trajectory = rollout(stepper, u0, 600, save_every=4)
    ```
    """

    form: Literal["conservative", "combustion"] = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        form: Literal["conservative", "combustion"] = "conservative",
        order: int = 2,
        dealiasing_fraction: float = 2.0 / 3.0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        if form not in ("conservative", "combustion"):
            raise ValueError(
                f"KuramotoSivashinsky form must be 'conservative' or 'combustion', got {form!r}."
            )
        self.form = form
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
        k2 = self.wavenumber_norm_squared()
        return k2 - k2**2

    def nonlinear(self, u_hat: Array) -> Array:
        u_hat = self.dealias * u_hat
        if self.form == "conservative":
            flux_hat = self.to_fourier(0.5 * self.to_physical(u_hat) ** 2)
            result = -jnp.sum(self.derivative, axis=0, keepdims=True) * flux_hat
        else:
            gradient = self.to_physical(self.derivative * u_hat)
            result = -self.to_fourier(0.5 * jnp.sum(gradient**2, axis=0, keepdims=True))
        return self.dealias * result
