r"""The one-phase Stefan problem: its Neumann similarity solution and enthalpy form."""

import jax
import jax.numpy as jnp
from jax.scipy.special import erf
from jaxtyping import Array, ArrayLike, Float

from ..ops import partial_derivative
from ._base import AbstractPDE


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
    x: ArrayLike,
    t: ArrayLike,
    stefan_number: float,
    diffusivity: float = 1.0,
    *,
    lam: ArrayLike | None = None,
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
    - `lam`: $\lambda$ if already known (`stefan_neumann_lambda(stefan_number)`), to skip
      the root solve inside hot loops.

    **Returns:** `(T, s)`: the temperature (0 in the solid) and the front position at `t`.
    """
    if lam is None:
        lam = stefan_neumann_lambda(stefan_number)
    x, t = jnp.broadcast_arrays(jnp.asarray(x, float), jnp.asarray(t, float))
    front = 2 * lam * jnp.sqrt(diffusivity * t)
    temperature = 1 - erf(x / (2 * jnp.sqrt(diffusivity * t))) / erf(lam)
    return jnp.where(x < front, temperature, 0.0), front


class StefanEnthalpy(AbstractPDE):
    r"""The one-phase Stefan problem in enthalpy form, points `(x, t)`: no front is tracked.

    The latent heat enters through the enthalpy
    $$H(T) = T + \frac{1}{\mathrm{St}}\,\phi_\varepsilon(T), \qquad
      \partial_t H(T) = \alpha\,T_{xx},$$
    on a fixed domain that holds both phases. The liquid fraction $\phi_\varepsilon$ is
    the quintic smoothstep $\phi(u) = 10u^3 - 15u^4 + 6u^5$ of $u = T/\varepsilon$ clipped
    to $[0, 1]$: a $C^2$ Heaviside that rises over the mushy range
    $0 \le T \le \varepsilon$ above the melting temperature 0. It starts AT the melting
    temperature because the solid of the one-phase problem sits exactly there and must be
    fully solid. Across the front $H$ jumps by $1/\mathrm{St}$, and the weak form of the
    equation gives back the Stefan condition $\dot s = -\mathrm{St}\,\alpha\,T_x(s^-)$;
    as $\varepsilon \to 0$ the solution tends to `stefan_neumann_solution`.

    In the travelling-wave limit the liquid profile, extrapolated linearly through the
    mushy zone, meets the melting temperature where $T = c\,\varepsilon$ with
    $\int_c^1 du/\phi(u) = 1$, i.e. $c \approx 0.36$: reading the front there removes the
    $O(\varepsilon)$ offset of reading it at the middle of the range.

    **Arguments:**

    - `stefan_number`: St > 0; `diffusivity`: $\alpha > 0$.
    - `mushy_width`: $\varepsilon > 0$, the temperature range of melting.
    """

    stefan_number: float = 1.0
    diffusivity: float = 1.0
    mushy_width: float = 0.01

    def __check_init__(self):
        if not (self.stefan_number > 0 and self.diffusivity > 0 and self.mushy_width > 0):
            raise ValueError(
                "StefanEnthalpy needs stefan_number, diffusivity and mushy_width > 0, got "
                f"{self.stefan_number}, {self.diffusivity}, {self.mushy_width}."
            )

    def liquid_fraction(self, temperature: ArrayLike) -> Array:
        """$\\phi_\\varepsilon(T)$: 0 at and below the melting temperature, 1 above it + eps."""
        u = jnp.clip(jnp.asarray(temperature) / self.mushy_width, 0.0, 1.0)
        return u**3 * (10 - 15 * u + 6 * u**2)

    def enthalpy(self, temperature: ArrayLike) -> Array:
        """$H(T) = T + \\phi_\\varepsilon(T) / \\mathrm{St}$."""
        return temperature + self.liquid_fraction(temperature) / self.stefan_number

    def residual(self, u, p):
        enthalpy_t = partial_derivative(lambda q: self.enthalpy(u(q)), "t")(p)
        return enthalpy_t - self.diffusivity * partial_derivative(u, "x", "x")(p)

    def exact(self, p):
        """The sharp-interface Neumann temperature (the limit `mushy_width -> 0`)."""
        return stefan_neumann_solution(p[0], p[-1], self.stefan_number, self.diffusivity)[0]

    def front(self, t: ArrayLike) -> Array:
        """The exact front $s(t) = 2\\lambda\\sqrt{\\alpha t}$."""
        return stefan_neumann_solution(0.0, t, self.stefan_number, self.diffusivity)[1]
