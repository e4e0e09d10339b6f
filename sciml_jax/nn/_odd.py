"""A wrapper that makes any coordinate network odd in one coordinate, exactly."""

import equinox as eqx
from jaxtyping import Array


class OddInAxis(eqx.Module):
    r"""$u(p) = \tfrac12\,[N(p) - N(R p)]$, $R$ reflecting coordinate `axis`: odd in it.

    A symmetric problem (Burgers with $u_0 = -\sin \pi x$) then keeps $u(-x) = -u(x)$ and
    $u = 0$ on the mirror plane exactly, whatever the training does.

    **Arguments:**

    - `network`: any module of one point; also called on points as columns `(dim, n)`.
    - `axis`: the coordinate reflected (0: x).
    """

    network: eqx.Module
    axis: int = eqx.field(static=True, default=0)

    def __call__(self, p: Array) -> Array:
        # `.at[axis]` reflects one point (dim,) and points as columns (dim, n) alike.
        return 0.5 * (self.network(p) - self.network(p.at[self.axis].multiply(-1)))
