"""Heat / diffusion equation."""

from .._types import Array
from ._base import AbstractSpectralStepper


class Diffusion(AbstractSpectralStepper):
    """Heat equation on a periodic box, solved exactly in Fourier space.

    $$u_t = \\alpha\\, \\Delta u \\quad\\Rightarrow\\quad
      \\hat u_k(t + dt) = e^{-\\alpha |k|^2 dt}\\, \\hat u_k(t).$$

    With the default `order=0` (ETDRK0) the step is exact for every `dt`: the Fourier
    mode $\\sin(k x)$ decays exactly by $e^{-\\alpha k^2 t}$ up to round-off.

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: the grid and step.
    - `diffusivity`: $\\alpha$.
    - `num_channels`: independent fields diffused together.

    **Example:**

    ```python
    stepper = Diffusion(1, 2 * jnp.pi, 64, 0.1, diffusivity=0.5)
    u1 = stepper(jnp.sin(make_grid(1, 2 * jnp.pi, 64)))  # == exp(-0.05) sin(x)
    ```
    """

    diffusivity: float

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float = 0.01,
        num_channels: int = 1,
        order: int = 0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        self.diffusivity = diffusivity
        self._setup(
            num_spatial_dims, domain_extent, num_points, dt,
            num_channels=num_channels, order=order, dealiasing_fraction=1.0,
            num_circle_points=num_circle_points, circle_radius=circle_radius,
        )

    def linear_symbol(self) -> Array:
        return -self.diffusivity * self.wavenumber_norm_squared()

    def nonlinear(self, u_hat: Array) -> Array:
        return 0.0 * u_hat
