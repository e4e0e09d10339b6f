"""Allen–Cahn equation."""

from ..._types import Array
from ._base import AbstractSpectralStepper


class AllenCahnStepper(AbstractSpectralStepper):
    """Allen–Cahn equation on a periodic box, by ETDRK.

    $$u_t = \\epsilon\\, \\Delta u + c\\, (u - u^3)$$

    The linear part $-\\epsilon|k|^2 + c$ is integrated exactly, the cubic $-c u^3$
    explicitly. The PINN benchmark (Raissi et al., jaxpi) is $\\epsilon = 10^{-4}$,
    $c = 5$ on $[-1, 1)$ from $u_0 = x^2 \\cos(\\pi x)$; its interfaces are
    $\\sim\\sqrt{\\epsilon / c}$ thin, so resolve with $N \\ge 512$ and ETDRK4.

    A cubic product aliases unless `dealiasing_fraction <= 1/2`; the default 2/3 is the
    usual compromise, and with a resolved solution the aliased energy is negligible.
    Modes removed by the dealiasing mask see only the linear part $c - \\epsilon k^2$; on a
    grid so coarse that this is positive for them, they grow from round-off (see
    `sciml_jax.analysis.jacobian_spectrum`), so resolve $\\epsilon k_{\\max}^2 > c$.

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: the grid and step.
    - `diffusivity`: $\\epsilon$.
    - `reaction_coefficient`: $c$.
    - `order`, `dealiasing_fraction`, `num_circle_points`, `circle_radius`: see `BurgersStepper`.

    **Example:**

    ```python
    stepper = AllenCahnStepper(
        1, 2.0, 512, 1e-3, diffusivity=1e-4, reaction_coefficient=5.0, order=4
    )
    x = make_grid(1, 2.0, 512, origin=-1.0)
    u = rollout(stepper, x**2 * jnp.cos(jnp.pi * x), 1000, save_every=5)
    ```
    """

    diffusivity: float
    reaction_coefficient: float

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float = 1e-4,
        reaction_coefficient: float = 5.0,
        order: int = 4,
        dealiasing_fraction: float = 2.0 / 3.0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        self.diffusivity = diffusivity
        self.reaction_coefficient = reaction_coefficient
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
        return -self.diffusivity * self.wavenumber_norm_squared() + self.reaction_coefficient

    def nonlinear(self, u_hat: Array) -> Array:
        u = self.to_physical(self.dealias * u_hat)
        return -self.reaction_coefficient * self.dealias * self.to_fourier(u**3)
