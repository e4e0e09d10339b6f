"""2D incompressible Navier–Stokes in vorticity form."""

import jax.numpy as jnp

from ..._types import Array, Float
from ...ops import make_grid
from ._base import AbstractSpectralStepper


class NavierStokesVorticity(AbstractSpectralStepper):
    """2D incompressible Navier–Stokes on the torus, vorticity–streamfunction form, by ETDRK.

    $$\\omega_t + \\mathbf u \\cdot \\nabla \\omega = \\nu \\Delta \\omega - \\mu\\, \\omega + f,
      \\qquad \\Delta \\psi = -\\omega,
      \\quad \\mathbf u = (\\partial_y \\psi, -\\partial_x \\psi)$$

    Viscosity and linear drag are integrated exactly, advection and forcing explicitly;
    the advection is dealiased by the 2/3 rule. Axis 0 of the state is $x$, axis 1 is $y$.
    The state is `(1, N, N)`; the mean vorticity (mode 0) is kept at its initial value.

    **Arguments:**

    - `domain_extent`, `num_points`, `dt`: the grid and step (always 2D).
    - `diffusivity`: $\\nu$.
    - `drag`: $\\mu$ (linear friction, 0 for none).
    - `forcing`: $f$, a fixed vorticity source `(1, N, N)` in physical space, or `None`
      (see `kolmogorov_forcing`).
    - `order`, `dealiasing_fraction`, `num_circle_points`, `circle_radius`: see `BurgersStepper`.

    **Example:**

    ```python
    # Li et al. (FNO) torus setup: nu = 1e-3, f = 0.1 (sin 2 pi (x + y) + cos 2 pi (x + y))
    x, y = make_grid(2, 1.0, 64)
    f = 0.1 * (jnp.sin(2 * jnp.pi * (x + y)) + jnp.cos(2 * jnp.pi * (x + y)))
    stepper = NavierStokesVorticity(1.0, 64, 1e-3, diffusivity=1e-3, forcing=f[None])
    ```
    """

    diffusivity: float
    drag: float
    forcing_hat: Array | None
    inverse_laplacian: Array

    def __init__(
        self,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float = 1e-3,
        drag: float = 0.0,
        forcing: Float[Array, " 1 n n"] | None = None,
        order: int = 2,
        dealiasing_fraction: float = 2.0 / 3.0,
        num_circle_points: int = 32,
        circle_radius: float = 1.0,
    ):
        self.diffusivity = diffusivity
        self.drag = drag
        if forcing is not None:
            forcing = jnp.asarray(forcing)
            if forcing.shape != (1, num_points, num_points):
                raise ValueError(
                    f"forcing must be a vorticity field of shape (1, {num_points}, "
                    f"{num_points}), got {forcing.shape}; add a channel axis with f[None]."
                )
            self.forcing_hat = jnp.fft.rfftn(forcing, axes=(-2, -1))
        else:
            self.forcing_hat = None
        self.inverse_laplacian = jnp.zeros(())  # set below, once the grid exists
        self._setup(
            2,
            domain_extent,
            num_points,
            dt,
            num_channels=1,
            order=order,
            dealiasing_fraction=dealiasing_fraction,
            num_circle_points=num_circle_points,
            circle_radius=circle_radius,
        )
        # psi_hat = omega_hat / |k|^2, precomputed (the mean mode carries no flow).
        k2 = self.wavenumber_norm_squared()
        self.inverse_laplacian = jnp.where(k2 > 0, 1.0 / jnp.where(k2 > 0, k2, 1.0), 0.0)

    def linear_symbol(self) -> Array:
        return -self.diffusivity * self.wavenumber_norm_squared() - self.drag

    def _axis_derivatives(self) -> tuple[Array, Array]:
        # k_x varies along axis 0 only, k_y along axis 1 only: broadcastable slices keep
        # the products small fusions.
        return self.derivative[0][:, :1], self.derivative[1][:1, :]

    def velocity(self, omega_hat: Array) -> Float[Array, " 2 n n"]:
        """The velocity $(u, v)$ in physical space from $\\hat\\omega$."""
        psi_hat = self.inverse_laplacian * omega_hat
        dx, dy = self._axis_derivatives()
        # One single-channel transform per field, not a stacked two-channel one: under
        # vmap the batched two-channel FFTs ran 1.6x slower on CPU.
        return jnp.concatenate([self.to_physical(dy * psi_hat), self.to_physical(-dx * psi_hat)])

    def nonlinear(self, omega_hat: Array) -> Array:
        omega_hat = self.dealias * omega_hat
        u, v = self.velocity(omega_hat)
        dx, dy = self._axis_derivatives()
        omega_x = self.to_physical(dx * omega_hat)[0]
        omega_y = self.to_physical(dy * omega_hat)[0]
        result = -self.dealias * self.to_fourier((u * omega_x + v * omega_y)[None])
        if self.forcing_hat is not None:
            result = result + self.forcing_hat
        return result


def kolmogorov_forcing(
    domain_extent: float, num_points: int, *, wavenumber: int = 4, amplitude: float = 1.0
) -> Float[Array, " 1 n n"]:
    """The vorticity source of Kolmogorov flow.

    The body force $\\mathbf f = A \\sin(k y)\\, \\mathbf e_x$, $k = 2\\pi n / L$, has curl
    $\\partial_x f_y - \\partial_y f_x = -A k \\cos(k y)$.

    **Arguments:**

    - `domain_extent`: $L$; `num_points`: $N$.
    - `wavenumber`: $n$, the number of forcing periods across the box.
    - `amplitude`: $A$.

    **Returns:**

    The vorticity forcing `(1, N, N)` for `NavierStokesVorticity(forcing=...)`.
    """
    _, y = make_grid(2, domain_extent, num_points)
    k = 2 * jnp.pi * wavenumber / domain_extent
    return (-amplitude * k * jnp.cos(k * y))[None]
