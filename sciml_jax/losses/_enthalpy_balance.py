"""The finite-volume enthalpy balance of a Stefan problem, a loss term that sees the front."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..ops import partial_derivative
from ..pde import StefanEnthalpy


def _grid_columns(x: Array, t: Array) -> Float[Array, "2 n"]:
    # Points (x, t) as columns, t outer: the layout the vectorized models take.
    return jnp.stack(jnp.meshgrid(jnp.asarray(x), jnp.asarray(t), indexing="xy"), 0).reshape(2, -1)


def cell_balance(
    model,
    pde: StefanEnthalpy,
    lattice: Float[Array, " nodes"],
    n_cells: int,
    times: Float[Array, " times"],
    sharp: bool,
) -> Float[Array, "times n_cells"]:
    r"""$\frac{d}{dt}\int_{cell} H\,dx - \alpha\,[T_x]$ per unit length, `(len(times), n_cells)`.

    The cells are `n_cells` equal runs of the uniform `lattice` (from 0 to L); int H dx is
    summed interval by interval. With `sharp`, `model.level` is the level set v of
    T = max(v, 0) and the latent heat of an interval is its liquid length, from the zero
    of the linear interpolant of v: differentiable in the front position, unlike any
    quadrature of a jump, and consistent with the kink of max(v, 0) at the front (a smooth
    phi_eps is not: the flux jump at v = 0 would have nothing to balance it). Otherwise H
    is `pde.enthalpy` of the model. The latent heat of a moving front enters as a finite
    rate, not as the near-delta H_t that collocation misses; on the exact Neumann
    solution the balance is ~5e-5 of its scale, on a front stuck at s(t0) it is O(s'/h).

    **Arguments:**

    - `model`: the temperature T, called on points as columns `(2, n)` (vectorized).
    - `pde`: the enthalpy problem (Stefan number, diffusivity).
    - `lattice`, `n_cells`: the uniform x nodes and the number of cells they are cut into
      (`len(lattice) - 1` a multiple of `n_cells`).
    - `times`: where the balance is taken.
    - `sharp`: the sharp latent heat of a level-set model (see above).

    **Returns:** the balance of each cell at each time.
    """
    spacing = lattice[1] - lattice[0]
    per_cell = (len(lattice) - 1) // n_cells

    def storage(times):
        points = _grid_columns(lattice, times)
        if sharp:
            v = model.level(points).reshape(len(times), -1)
            a, b = v[:, :-1], v[:, 1:]
            liquid = (jnp.maximum(a, 0) + jnp.maximum(b, 0)) / (jnp.abs(a) + jnp.abs(b) + 1e-30)
            temperature = jnp.maximum(v, 0.0)
            h = 0.5 * (temperature[:, :-1] + temperature[:, 1:]) + liquid / pde.stefan_number
        else:
            enthalpy = pde.enthalpy(model(points)).reshape(len(times), -1)
            h = 0.5 * (enthalpy[:, :-1] + enthalpy[:, 1:])
        return spacing * jnp.sum(h.reshape(len(times), n_cells, -1), axis=-1)

    stored_t = jax.jvp(storage, (times,), (jnp.ones_like(times),))[1]
    edges = lattice[::per_cell]
    t_x = partial_derivative(model, "x")(_grid_columns(edges, times)).reshape(len(times), -1)
    balance = stored_t - pde.diffusivity * jnp.diff(t_x, axis=-1)
    return balance / (per_cell * spacing)
