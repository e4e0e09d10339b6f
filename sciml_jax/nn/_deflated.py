"""A trial function with its components along earlier eigenfunctions removed."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


class Deflated(eqx.Module):
    r"""$u(p) = v(p) - \sum_j c_j u_j(p)$: the trial function `trial` ($v$) minus its
    projections on the functions `previous` ($u_j$, frozen by `stop_gradient`).

    With $c_j = \langle v, u_j\rangle / \langle u_j, u_j\rangle$ (recomputed, differentiably,
    by `project` in a quadrature inner product) the minimum of the Rayleigh quotient over
    $u$ is the next eigenvalue after those of $u_1..u_{k-1}$ exactly, with no penalty to
    tune.

    **Arguments:**

    - `trial`: a module of one point (e.g. an `Ansatz` holding the boundary conditions).
    - `previous`: the eigenfunctions found before, a tuple of modules of one point.
    - `coefficients`: the `(len(previous),)` projection coefficients (zeros to start).
    """

    trial: eqx.Module
    previous: tuple[eqx.Module, ...]
    coefficients: Float[Array, " k"]

    def __call__(self, p: Float[Array, " dim"]) -> Array:
        value = self.trial(p)
        for c, u_j in zip(self.coefficients, self.previous, strict=True):
            value = value - c * jax.lax.stop_gradient(u_j(p))
        return value

    def project(self, nodes: Float[Array, "n dim"], weights: Float[Array, " n"]) -> "Deflated":
        """The same function with the coefficients recomputed for the current `trial` in
        the inner product $\\langle f, g\\rangle = \\sum_i w_i f(x_i) g(x_i)$."""
        if not self.previous:
            return self
        raw = jax.vmap(self.trial)(nodes)
        coefficients = []
        for u_j in self.previous:
            values = jax.lax.stop_gradient(jax.vmap(u_j)(nodes))
            coefficients.append(jnp.sum(weights * raw * values) / jnp.sum(weights * values**2))
        return eqx.tree_at(lambda m: m.coefficients, self, jnp.stack(coefficients))
