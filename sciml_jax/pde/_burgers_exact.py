"""The exact (Cole–Hopf) solution of viscous Burgers with `u0 = -sin(pi x)`."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

# The quadrature is truncated where the log-integrand has fallen this far below its
# maximum: exp(-46) ~ 1e-20, well under float64 round-off of the result.
_LOG_TAIL = 46.0


def _cole_hopf_point(x: Array, t: Array, nu: float, num_nodes: int) -> Array:
    # Write the solution as a ratio of two Gaussian-weighted integrals in the shift eta,
    #   u = -int sin(pi (x - eta)) exp(psi) d eta / int exp(psi) d eta,
    #   psi(eta) = -eta^2 / (4 nu t) - cos(pi (x - eta)) / (2 pi nu).
    # exp(psi) spans ~exp(+-1/(pi nu)), which overflows for small nu, so the exponent
    # is shifted by its maximum on the grid before exponentiating (log-sum-exp). The
    # integrand is entire and decays like a Gaussian, so the trapezoidal rule on a
    # uniform grid converges geometrically once the spacing resolves its width.
    a = 1.0 / (2.0 * jnp.pi * nu)
    t_safe = jnp.where(t > 0, t, 1.0)
    # |eta| beyond this half-width has psi < max(psi) - _LOG_TAIL, since
    # psi(eta) <= -eta^2/(4 nu t) + a and max psi >= psi(0) >= -a.
    half_width = jnp.sqrt(4.0 * nu * t_safe * (2.0 * a + _LOG_TAIL))
    eta = jnp.linspace(-1.0, 1.0, num_nodes, dtype=x.dtype) * half_width
    psi = -(eta**2) / (4.0 * nu * t_safe) - a * jnp.cos(jnp.pi * (x - eta))
    weights = jnp.exp(psi - jnp.max(psi))
    # The uniform spacing and the end-point halving cancel in the ratio up to the
    # (negligible, exp(-_LOG_TAIL)) end values, so plain sums suffice.
    numerator = jnp.sum(jnp.sin(jnp.pi * (x - eta)) * weights)
    denominator = jnp.sum(weights)
    u = -numerator / denominator
    return jnp.where(t > 0, u, -jnp.sin(jnp.pi * x))


def burgers_cole_hopf(
    x: ArrayLike,
    t: ArrayLike,
    nu: float = 0.01 / jnp.pi,
    *,
    num_nodes: int = 2001,
    batch_size: int = 512,
) -> Float[Array, "..."]:
    r"""Exact solution of the viscous Burgers equation from a sine initial condition.

    Solves

    $$u_t + u\,u_x = \nu\,u_{xx},\qquad u(x, 0) = -\sin(\pi x),$$

    on the whole line (equivalently on $[-1, 1]$ with $u(\pm 1, t) = 0$, since the
    solution is odd and 2-periodic). The Cole–Hopf transform $u = -2\nu\,\varphi_x/\varphi$
    turns it into the heat equation, whose solution is a Gaussian convolution:

    $$u(x,t) = -\frac{\int \sin(\pi(x-\eta))\, f(x-\eta)\, e^{-\eta^2/4\nu t}\,d\eta}
                     {\int f(x-\eta)\, e^{-\eta^2/4\nu t}\,d\eta},\qquad
      f(y) = e^{-\cos(\pi y)/2\pi\nu}.$$

    Both integrals are evaluated by a log-sum-exp stabilised trapezoidal rule on
    `num_nodes` points covering every shift whose weight is above `exp(-46)` of the
    largest. In float64 the result is accurate to about 1e-13 for `nu = 0.01/pi`,
    including inside the steep front at `x = 0` (slope ~152 at `t ~ 0.51`). In float32
    it is accurate to float32 round-off. It is differentiable in `x` and `t`.

    **Arguments:**

    - `x`: positions, any shape broadcastable with `t`.
    - `t`: times `>= 0`, any shape broadcastable with `x`.
    - `nu`: the viscosity; the classic benchmark uses `0.01 / pi`.
    - `num_nodes`: quadrature nodes per point (2001 is ample for `nu >= 1e-3`).
    - `batch_size`: points evaluated at once, to bound memory (`num_nodes * batch_size`).

    **Returns:**

    `u(x, t)` with the broadcast shape of `x` and `t`.

    **Example:**

    ```python
    import jax.numpy as jnp
    from sciml_jax.pde import burgers_cole_hopf
    x = jnp.linspace(-1, 1, 256); t = jnp.linspace(0, 0.99, 100)
    u = burgers_cole_hopf(x[None, :], t[:, None])      # shape (100, 256)
    ```

    **References:** Cole (1951), Hopf (1950); Basdevant et al., "Spectral and finite
    difference solutions of the Burgers equation", Computers & Fluids 14 (1986).
    """
    if not nu > 0:
        raise ValueError(
            f"burgers_cole_hopf needs a positive viscosity nu, got nu={nu!r}; "
            "the classic benchmark uses nu = 0.01 / pi."
        )
    if num_nodes < 3:
        raise ValueError(f"num_nodes must be >= 3, got {num_nodes}; the default 2001 is ample.")
    x = jnp.asarray(x)
    t = jnp.asarray(t)
    dtype = jnp.result_type(x.dtype, t.dtype, float)
    x, t = jnp.broadcast_arrays(x.astype(dtype), t.astype(dtype))
    shape = x.shape
    x_flat, t_flat = x.reshape(-1), t.reshape(-1)
    if x_flat.size == 0:
        return jnp.zeros(shape, dtype)

    def point(xt):
        return _cole_hopf_point(xt[0], xt[1], nu, num_nodes)

    u = jax.lax.map(point, jnp.stack([x_flat, t_flat], axis=-1), batch_size=batch_size)
    return u.reshape(shape)
