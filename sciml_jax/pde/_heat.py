"""The heat equation, with an exact modal solution."""

import jax.numpy as jnp

from ..ops import laplacian, partial_derivative
from ._base import AbstractPDE


class Heat(AbstractPDE):
    r"""Heat equation $u_t = \kappa\,\Delta u$ on $[0, 1]^d \times [0, T]$, points `(x.., t)`.

    With homogeneous Dirichlet conditions the modes
    $\sin(k_1\pi x_1)\cdots\sin(k_d\pi x_d)$ decay exactly as
    $e^{-\kappa\pi^2 |k|^2 t}$; `exact` gives the sum of the chosen `modes` with
    `amplitudes`, and `initial` its value at $t = 0$.

    **Arguments:**

    - `diffusivity`: $\kappa > 0$.
    - `modes`: tuple of integer wave-vectors, one per mode (length `d` each).
    - `amplitudes`: one amplitude per mode.
    """

    diffusivity: float = 0.1
    modes: tuple[tuple[int, ...], ...] = ((1,), (2,))
    amplitudes: tuple[float, ...] = (1.0, 0.5)

    def __check_init__(self):
        if len(self.modes) != len(self.amplitudes) or not self.modes:
            raise ValueError(
                f"Heat needs one amplitude per mode, got modes={self.modes}, "
                f"amplitudes={self.amplitudes}."
            )

    def residual(self, u, p):
        space = tuple(range(p.shape[0] - 1))
        return partial_derivative(u, "t")(p) - self.diffusivity * laplacian(u, axes=space)(p)

    def exact(self, p):
        x, t = p[:-1], p[-1]
        total = jnp.zeros_like(p[0])
        for k, a in zip(self.modes, self.amplitudes, strict=True):
            k = jnp.asarray(k, p.dtype)
            column = k.reshape(k.shape + (1,) * (x.ndim - 1))  # points may be columns
            shape = jnp.prod(jnp.sin(column * jnp.pi * x), axis=0)
            total = total + a * shape * jnp.exp(-self.diffusivity * jnp.pi**2 * jnp.sum(k**2) * t)
        return total

    def initial(self, p):
        return self.exact(p.at[-1].set(0.0))

    def boundary(self, p):
        return jnp.zeros_like(p[0])
