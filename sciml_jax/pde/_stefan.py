r"""The one-phase Stefan problem and its Neumann similarity solution."""

import jax
import jax.numpy as jnp
from jax.scipy.special import erf
from jaxtyping import Array, ArrayLike, Float


def stefan_neumann_lambda(stefan_number: float, *, iterations: int = 60) -> Float[Array, ""]:
    r"""The similarity constant $\lambda$ of the one-phase Stefan problem.

    Solves the transcendental equation $\sqrt{\pi}\,\lambda e^{\lambda^2}\mathrm{erf}(\lambda)
    = \mathrm{St}$ by bisection on $[0, 1 + \mathrm{St}]$ (the left side is increasing and
    exceeds St there), to machine precision.

    **Arguments:**

    - `stefan_number`: $\mathrm{St} = c\,\Delta T / L > 0$ (sensible over latent heat).

    **Returns:** $\lambda$, such that the melting front is $s(t) = 2\lambda\sqrt{\alpha t}$.
    """
    if not stefan_number > 0:
        raise ValueError(
            f"the Stefan number must be > 0, got {stefan_number!r}; "
            "it is c * (T_wall - T_melt) / L."
        )

    def f(lam):
        return jnp.sqrt(jnp.pi) * lam * jnp.exp(lam**2) * erf(lam) - stefan_number

    def bisect(bounds, _):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        left = f(mid) > 0
        return (jnp.where(left, lo, mid), jnp.where(left, mid, hi)), None

    start = (jnp.zeros(()), jnp.asarray(1.0 + stefan_number))
    (lo, hi), _ = jax.lax.scan(bisect, start, None, length=iterations)
    return 0.5 * (lo + hi)


def stefan_neumann_solution(
    x: ArrayLike, t: ArrayLike, stefan_number: float, diffusivity: float = 1.0
) -> tuple[Float[Array, "..."], Float[Array, "..."]]:
    r"""Temperature and front of the one-phase Stefan (melting) problem.

    Liquid in $0 < x < s(t)$: $T_t = \alpha T_{xx}$, $T(0, t) = 1$, $T(s, t) = 0$,
    $\dot s = -\mathrm{St}\,\alpha\,T_x(s, t)$; the solid beyond the front stays at the
    melting temperature 0. The solution (Neumann) is

    $$T = 1 - \frac{\mathrm{erf}(x / 2\sqrt{\alpha t})}{\mathrm{erf}\lambda}\ (x < s),
      \qquad s(t) = 2\lambda\sqrt{\alpha t}.$$

    **Arguments:**

    - `x`, `t`: positions and times `t > 0` (broadcast together).
    - `stefan_number`: St; `diffusivity`: $\alpha$.

    **Returns:** `(T, s)`: the temperature (0 in the solid) and the front position at `t`.
    """
    lam = stefan_neumann_lambda(stefan_number)
    x, t = jnp.broadcast_arrays(jnp.asarray(x, float), jnp.asarray(t, float))
    front = 2 * lam * jnp.sqrt(diffusivity * t)
    temperature = 1 - erf(x / (2 * jnp.sqrt(diffusivity * t))) / erf(lam)
    return jnp.where(x < front, temperature, 0.0), front
