"""Residual emulators: a network that learns one time step's increment of a simulator."""

from collections.abc import Callable

import equinox as eqx
from jaxtyping import Array, Float

from ..ops import project_modes


class ResidualEmulator(eqx.Module):
    """``u_{n+1} = P(u_n + scale * net(u_n))``: an emulator that learns the increment.

    ``P`` is `project_modes` with `keep_modes` and `zero_mean` (the identity by default).
    Choose `keep_modes` from the spectrum of the training data: keep the wavenumbers that
    carry energy above round-off, so the projection removes nothing the data contains but
    stops errors from piling up in modes the model was never trained on. `zero_mean`
    encodes a conservation law (the spatial mean of Kuramoto-Sivashinsky or Burgers data
    is invariant, here zero) exactly instead of hoping the network learns it.

    **Arguments:** `net` (any ``(channels, *grid) -> (channels, *grid)`` model), `scale`
    (a fixed factor, e.g. the typical increment size, to start near identity),
    `keep_modes` (None or the number of retained wavenumbers per axis), `zero_mean`.
    """

    net: Callable
    scale: float = eqx.field(static=True, default=1.0)
    keep_modes: int | None = eqx.field(static=True, default=None)
    zero_mean: bool = eqx.field(static=True, default=False)

    def __call__(self, u: Float[Array, " channels *grid"]) -> Float[Array, " channels *grid"]:
        return project_modes(u + self.scale * self.net(u), self.keep_modes, self.zero_mean)
