"""E(n)-equivariant graph network (EGNN) on a fully connected set of identical particles.

One layer (Satorras, Hoogeboom & Welling 2021, eqs. 3-6, with the bounded, distance-
normalised coordinate update that EDM uses for stability):

$$ m_{ij} = \\phi_e(h_i, h_j, \\|x_i - x_j\\|^2), \\qquad
   x_i \\leftarrow x_i + \\frac{1}{N-1}\\sum_{j\\ne i}
       \\frac{x_i - x_j}{\\|x_i - x_j\\| + 1}\\, c \\tanh\\phi_x(m_{ij}), $$
$$ h_i \\leftarrow h_i + \\phi_h\\Big(h_i, \\tfrac{1}{N-1}\\sum_{j\\ne i} m_{ij}\\Big). $$

Messages see only invariants (features and squared distances), and positions move along
difference vectors weighted by invariants, so a rotation, reflection or translation of the
input moves the output coordinates the same way, and features are invariant; sums over
``j`` make it permutation equivariant.

**References:** Satorras, Hoogeboom & Welling, "E(n) equivariant graph neural networks",
ICML 2021; Hoogeboom, Satorras, Vignac & Welling, "Equivariant diffusion for molecule
generation in 3D", ICML 2022.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from .._types import Array, Float, Key

__all__ = ["EGNN", "EGNNLayer"]


def _pairwise(fn, *arrays):
    return jax.vmap(jax.vmap(fn))(*arrays)


class EGNNLayer(eqx.Module):
    """One EGNN layer on ``N`` particles; see the module docstring for the update.

    **Arguments:** `hidden_size` (features and messages), `coord_range` (``c``, the
    largest step a coordinate takes per neighbour, bounded for stable training), `key`.

    **Returns:** `__call__(x, h) -> (dx, h')`, the coordinate update ``(N, d)`` and the new
    features ``(N, hidden_size)``.
    """

    edge_self: eqx.nn.Linear
    edge_other: eqx.nn.Linear
    edge_distance: Float[Array, " hidden"]
    edge_out: eqx.nn.Linear
    coord_mlp: eqx.nn.MLP
    node_mlp: eqx.nn.MLP
    coord_range: float = eqx.field(static=True)

    def __init__(self, hidden_size: int, *, coord_range: float = 1.0, key: Key):
        s, o, r, e, c, n = jr.split(key, 6)
        silu = jax.nn.silu
        # phi_e's first affine map of [h_i, h_j, r2] is split into per-particle parts
        # (computed N times, not N^2) and a distance column
        self.edge_self = eqx.nn.Linear(hidden_size, hidden_size, key=s)
        self.edge_other = eqx.nn.Linear(hidden_size, hidden_size, use_bias=False, key=o)
        self.edge_distance = jr.normal(r, (hidden_size,)) / jnp.sqrt(2 * hidden_size + 1)
        self.edge_out = eqx.nn.Linear(hidden_size, hidden_size, key=e)
        self.coord_mlp = eqx.nn.MLP(hidden_size, 1, hidden_size, 1, silu, key=c)
        self.node_mlp = eqx.nn.MLP(2 * hidden_size, hidden_size, hidden_size, 1, silu, key=n)
        self.coord_range = float(coord_range)

    def __call__(self, x: Float[Array, "n d"], h: Float[Array, "n f"]):
        n = x.shape[0]
        diff = x[:, None, :] - x[None, :, :]
        r2 = jnp.sum(diff**2, axis=-1)
        others = ~jnp.eye(n, dtype=bool)
        a, b = jax.vmap(self.edge_self)(h), jax.vmap(self.edge_other)(h)
        pre = a[:, None, :] + b[None, :, :] + r2[..., None] * self.edge_distance
        m = jax.nn.silu(_pairwise(self.edge_out, jax.nn.silu(pre)))
        m = jnp.where(others[..., None], m, 0.0)
        weight = self.coord_range * jnp.tanh(_pairwise(self.coord_mlp, m)[..., 0])
        # r = 1 on the diagonal: its sqrt has a finite gradient and its weight is masked
        r = jnp.sqrt(jnp.where(others, r2, 1.0))
        weight = jnp.where(others, weight / (r + 1.0), 0.0)
        dx = jnp.sum(weight[..., None] * diff, axis=1) / (n - 1)
        h = h + jax.vmap(self.node_mlp)(jnp.concatenate([h, m.sum(axis=1) / (n - 1)], -1))
        return dx, h


class EGNN(eqx.Module):
    """A stack of `EGNNLayer`s: invariant input features in, an equivariant displacement
    and invariant features out.

    **Arguments:**

    - `in_features`: per-particle input features (identical particles: e.g. only a time
      embedding, the same row for every particle).
    - `hidden_size`, `num_layers`: width and depth.
    - `coord_range`: the bound ``c`` of each layer's coordinate weights.
    - `key`.

    **Returns:** `__call__(positions (N, d), features (N, in_features))` ->
    `(displacement (N, d), features (N, hidden_size))`, the displacement being the sum of
    the layers' coordinate updates (kept apart from the positions, so no ``x_L - x_0``
    cancellation in float32).

    ```python
    net = EGNN(2, 32, 3, key=jr.key(0))
    dx, h = net(positions, jnp.ones((positions.shape[0], 2)))
    ```
    """

    embed: eqx.nn.Linear
    layers: tuple[EGNNLayer, ...]

    def __init__(
        self,
        in_features: int,
        hidden_size: int,
        num_layers: int,
        *,
        coord_range: float = 1.0,
        key: Key,
    ):
        if in_features < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError(
                f"EGNN(in_features={in_features}, hidden_size={hidden_size}, "
                f"num_layers={num_layers}); expected all >= 1, e.g. EGNN(2, 32, 3, key=key)."
            )
        embed_key, *layer_keys = jr.split(key, num_layers + 1)
        self.embed = eqx.nn.Linear(in_features, hidden_size, key=embed_key)
        self.layers = tuple(
            EGNNLayer(hidden_size, coord_range=coord_range, key=k) for k in layer_keys
        )

    def __call__(self, positions: Float[Array, "n d"], features: Float[Array, "n f"]):
        if positions.ndim != 2 or positions.shape[0] < 2 or features.shape[0] != positions.shape[0]:
            raise ValueError(
                f"positions {positions.shape} and features {features.shape}; expected "
                "(N, d) positions with N >= 2 and (N, in_features) features, one row per particle."
            )
        h = jax.vmap(self.embed)(features)
        x, displacement = positions, jnp.zeros_like(positions)
        for layer in self.layers:
            dx, h = layer(x, h)
            x, displacement = x + dx, displacement + dx
        return displacement, h
