"""A scalar energy of one volume, by an MLP of a natural strain."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike

from ._mlp import MLP


class EnergyVolumeMLP(eqx.Module):
    r"""$E(V) = \bar E + s_E\,N(z)$, $z = ((V/V_\mathrm{ref})^{-2/3} - 1) / \mathrm{span}$.

    The Eulerian (natural) strain $z$ is the variable in which equations of state such as
    Birch–Murnaghan's are low-order polynomials, and it is O(1) over the fitted volumes;
    `e_mean` and `e_scale` put the energies at O(1) too. Call it on one scalar volume.

    **Arguments:**

    - `net`: an `MLP(1, "scalar", ...)` of the strain.
    - `v_ref`, `span`: the reference volume and the relative volume span of the data.
    - `e_mean`, `e_scale`: the energy offset and scale (e.g. mean and std of the data).
    """

    net: MLP
    v_ref: float = eqx.field(static=True)
    span: float = eqx.field(static=True)
    e_mean: float = eqx.field(static=True)
    e_scale: float = eqx.field(static=True)

    def __call__(self, volume: ArrayLike) -> Array:
        z = ((volume / self.v_ref) ** (-2.0 / 3.0) - 1.0) / self.span
        return self.e_mean + self.e_scale * self.net(jnp.reshape(z, (1,)))
