"""The hard-constraint ansatz of a one-phase Stefan (melting) PINN on a fixed box."""

from collections.abc import Callable
from typing import Literal

import equinox as eqx
import jax.numpy as jnp
from jax.scipy.special import erf
from jaxtyping import Array


class StefanAnsatz(eqx.Module):
    r"""A melting temperature $T(x, t)$ on $[0, L] \times [t_0, t_1]$ that holds the
    initial and wall conditions by construction.

    With $\tau = (t - t_0)/(t_1 - t_0)$, $\xi = x/L$ and $N$ the network:

    - `hard`: $T = T_0(x) + 4\tau\,\xi(1 - \xi)\,N$ (the IC exactly, but the kink of
      $T_0$ at $s(t_0)$ stays for all t);
    - `soft`: $T = 1 - \xi + 4\xi(1 - \xi)\,N$ (the IC left to a loss term);
    - `level_set`: $T = \max(v, 0)$, $v = v_0(x) + 4\tau\,\xi(1 - \xi)\,N$, $v_0$ the IC
      continued past the front $s(t_0) = 2\lambda\sqrt{\alpha t_0}$ along its tangent:
      the IC, $T(0) = 1$ and a solid $T(L) = 0$ hold exactly, and the front $v = 0$ is
      free to move.

    The network sees $(2\xi - 1, 2\tau - 1)$ and, with `similarity_feature`, the scaled
    similarity variable $\eta = x / (2\sqrt{\alpha t})$, in which the front is fixed.

    **Arguments:**

    - `net`: the network of 2 (3 with `similarity_feature`) features.
    - `initial`: $T_0(x)$, the Neumann temperature at $t_0$ (a static function).
    - `lam`, `diffusivity`: the Neumann $\lambda$ and $\alpha$ (front and its slope).
    - `length`, `t_start`, `t_end`: the box.
    - `similarity_feature`, `initial_mode`: as above.
    """

    net: eqx.Module
    initial: Callable[[Array], Array] = eqx.field(static=True)
    lam: float = eqx.field(static=True)
    diffusivity: float = eqx.field(static=True)
    length: float = eqx.field(static=True)
    t_start: float = eqx.field(static=True)
    t_end: float = eqx.field(static=True)
    similarity_feature: bool = eqx.field(static=True)
    initial_mode: Literal["hard", "soft", "level_set"] = eqx.field(static=True)

    def initial_level(self, x):
        """A level set whose positive part is the IC: the IC up to its front s(t0), then
        the IC's tangent there (negative beyond). Only the IC is used, not the exact
        solution past the front (its analytic continuation gives the same accuracy)."""
        scale = 2 * jnp.sqrt(self.diffusivity * self.t_start)
        front = self.lam * scale
        slope = -2 * jnp.exp(-(self.lam**2)) / (jnp.sqrt(jnp.pi) * scale * erf(self.lam))
        return jnp.where(x < front, self.initial(x), slope * (x - front))

    def level(self, p):
        """v of the level_set ansatz: T = max(v, 0), the front is where v = 0."""
        x, tau, n = self._network(p)
        xi = x / self.length
        return self.initial_level(x) + 4 * tau * xi * (1 - xi) * n

    def _network(self, p):
        x, t = p[0], p[1]
        xi = x / self.length
        tau = (t - self.t_start) / (self.t_end - self.t_start)
        features = [2 * xi - 1, 2 * tau - 1]
        if self.similarity_feature:
            # eta / eta_max in [0, 1] at t0, shrinking later: scaled to about [-1, 1].
            eta = x / (2 * jnp.sqrt(self.diffusivity * t))
            eta_max = self.length / (2 * jnp.sqrt(self.diffusivity * self.t_start))
            features.append(2 * eta / eta_max - 1)
        return x, tau, self.net(jnp.stack(features))

    def __call__(self, p):
        if self.initial_mode == "level_set":
            # v(0) = 1 and v(L) = v_0(L) < 0: T(0) = 1 and the solid at L never melts, so
            # no heat enters through x = L (a free v there lets the flux feed a false melt).
            return jnp.maximum(self.level(p), 0.0)
        x, tau, n = self._network(p)
        xi = x / self.length
        if self.initial_mode == "hard":
            return self.initial(x) + 4 * tau * xi * (1 - xi) * n
        return 1 - xi + 4 * xi * (1 - xi) * n
