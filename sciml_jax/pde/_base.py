"""The shared shape of a PDE problem statement: a pure residual of a function and a point."""

import abc

import equinox as eqx
from jaxtyping import Array, Float

from .._types import PointFunction


class AbstractPDE(eqx.Module):
    r"""A PDE $\mathcal{N}[u](p) = 0$ stated as a pure residual of a function and a point.

    Parameters are fields of the module, so a problem can be `jax.vmap`-ed over them,
    or trained as unknowns (an inverse problem) by putting the module inside the model.
    Subclasses implement `residual(u, p)`; they may add `initial(p)`, `boundary(p)` and
    `exact(p)` where known. Points are `(x, [y, [z]], t)` (time last).
    """

    @abc.abstractmethod
    def residual(self, u: PointFunction, p: Float[Array, " dim"]) -> Array:
        """The residual at one point `p` for the solution candidate `u`."""
        raise NotImplementedError
