"""Encode-process-decode message passing on a mesh (MeshGraphNets, Pfaff et al. 2021; the
processor of GraphCast, Lam et al. 2023), on our own edge lists and `segment_sum`.

$$ h_i = \\varepsilon_V(v_i), \\quad e_{ij} = \\varepsilon_E(f_{ij}); \\qquad
   e_{ij} \\leftarrow e_{ij} + \\phi_E^k(e_{ij}, h_j, h_i), \\quad
   h_i \\leftarrow h_i + \\phi_V^k\\big(h_i, \\textstyle\\sum_{j \\to i} e_{ij}\\big)
   \\quad (k = 1..K); \\qquad y_i = \\delta(h_i) $$

for an edge from sender ``j`` to receiver ``i`` with features ``f_ij`` (relative position).
Every ``\\varepsilon``, ``\\phi`` is an MLP followed by LayerNorm, ``\\delta`` an MLP without;
the K processor blocks have their own weights, stacked and run in `lax.scan`. Nothing sees
absolute positions, so the network is equivariant under relabelling the nodes and, on a
periodic mesh whose edge features are minimum-image displacements, invariant under
translations of the mesh.

`MeshIncrementStepper` makes an emulator of it: the network predicts the scaled one-step
increment, ``u_{t+1} = u_t + s_{du} \\, y(u_t / s_u, c)`` (``c``: fixed node inputs such as a
forcing), and `rollout` marches it in `lax.scan`.
"""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, Int, PRNGKeyArray

__all__ = ["MeshGraph", "MeshGraphNet", "MeshIncrementStepper", "relative_position_features"]


class MeshGraph(NamedTuple):
    """The edges of a mesh: message `k` goes from node `senders[k]` to `receivers[k]` and
    carries the features `edge_features[k]`."""

    senders: Int[Array, " E"]
    receivers: Int[Array, " E"]
    edge_features: Float[Array, "E D"]


def relative_position_features(
    displacements: Float[Array, "E 2"], length_scale: float | None = None
) -> Float[Array, "E 3"]:
    """Edge features ``(d / l, |d| / l)`` of displacements ``d`` (sender minus receiver,
    minimum image on a periodic mesh), ``l`` the mean edge length unless given."""
    d = jnp.asarray(displacements)
    length = jnp.linalg.norm(d, axis=-1, keepdims=True)
    scale = jnp.mean(length) if length_scale is None else length_scale
    return jnp.concatenate([d, length], axis=-1) / scale


class _NormedMLP(eqx.Module):
    mlp: eqx.nn.MLP
    norm: eqx.nn.LayerNorm | None

    def __init__(self, in_size, out_size, width, depth, activation, norm, *, key):
        self.mlp = eqx.nn.MLP(in_size, out_size, width, depth, activation=activation, key=key)
        self.norm = eqx.nn.LayerNorm(out_size) if norm else None

    def __call__(self, x):
        y = self.mlp(x)
        return y if self.norm is None else self.norm(y)


class _ProcessorBlock(eqx.Module):
    edge_update: _NormedMLP
    node_update: _NormedMLP

    def __init__(self, latent, width, depth, activation, *, key):
        ekey, nkey = jr.split(key)
        self.edge_update = _NormedMLP(3 * latent, latent, width, depth, activation, True, key=ekey)
        self.node_update = _NormedMLP(2 * latent, latent, width, depth, activation, True, key=nkey)

    def __call__(self, h, e, graph: MeshGraph):
        edge_input = jnp.concatenate([e, h[graph.senders], h[graph.receivers]], axis=-1)
        e = e + jax.vmap(self.edge_update)(edge_input)
        incoming = jax.ops.segment_sum(e, graph.receivers, num_segments=h.shape[0])
        h = h + jax.vmap(self.node_update)(jnp.concatenate([h, incoming], axis=-1))
        return h, e


class MeshGraphNet(eqx.Module):
    """Encode-process-decode graph network on a mesh (see the module docstring).

    **Arguments:**

    - `node_features`, `edge_features`, `out_features`: input sizes per node and per edge,
      output size per node.
    - `latent_size`: width of the node and edge latents (128 in MeshGraphNets).
    - `num_blocks`: processor blocks K (message-passing steps; 15 in MeshGraphNets).
    - `mlp_width`, `mlp_depth`: hidden width and hidden layers of every MLP (default
      `latent_size`, 1).
    - `activation`: of the MLPs (swish, as GraphCast).
    - `key`: the initialisation key (keyword only).

    **Returns:** `__call__(nodes, graph)` maps ``nodes (n, node_features)`` and a `MeshGraph`
    to ``(n, out_features)``; one graph per call (vmap over samples sharing it).

    ```python
    net = MeshGraphNet(2, 3, 1, latent_size=32, num_blocks=4, key=jr.key(0))
    y = net(nodes, MeshGraph(senders, receivers, relative_position_features(d)))
    ```
    """

    node_encoder: _NormedMLP
    edge_encoder: _NormedMLP
    blocks: _ProcessorBlock  # K blocks stacked along each leaf's leading axis
    decoder: _NormedMLP
    num_blocks: int = eqx.field(static=True)

    def __init__(
        self,
        node_features: int,
        edge_features: int,
        out_features: int,
        *,
        latent_size: int = 64,
        num_blocks: int = 4,
        mlp_width: int | None = None,
        mlp_depth: int = 1,
        activation=jax.nn.swish,
        key: PRNGKeyArray,
    ):
        for name, value in (
            ("node_features", node_features),
            ("edge_features", edge_features),
            ("out_features", out_features),
            ("latent_size", latent_size),
            ("num_blocks", num_blocks),
        ):
            if int(value) < 1:
                raise ValueError(f"MeshGraphNet got {name}={value}; expected a positive integer.")
        width = latent_size if mlp_width is None else mlp_width
        nkey, ekey, bkey, dkey = jr.split(key, 4)
        args = (width, mlp_depth, activation)
        self.node_encoder = _NormedMLP(node_features, latent_size, *args, True, key=nkey)
        self.edge_encoder = _NormedMLP(edge_features, latent_size, *args, True, key=ekey)
        blocks = [_ProcessorBlock(latent_size, *args, key=k) for k in jr.split(bkey, num_blocks)]
        # stacked leaf by leaf (an eager filter_vmap of the initialisers is seconds slower)
        params = [eqx.filter(b, eqx.is_array) for b in blocks]
        stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), *params)
        self.blocks = eqx.combine(stacked, eqx.filter(blocks[0], eqx.is_array, inverse=True))
        self.decoder = _NormedMLP(latent_size, out_features, *args, False, key=dkey)
        self.num_blocks = num_blocks

    def __call__(self, nodes: Float[Array, "n F"], graph: MeshGraph) -> Float[Array, "n out"]:
        expected = self.node_encoder.mlp.in_size, self.edge_encoder.mlp.in_size
        if nodes.ndim != 2 or nodes.shape[1] != expected[0]:
            raise ValueError(
                f"MeshGraphNet got nodes of shape {nodes.shape}; expected (num_nodes, "
                f"{expected[0]}) for one mesh (vmap over samples)."
            )
        if graph.edge_features.ndim != 2 or graph.edge_features.shape[1] != expected[1]:
            raise ValueError(
                f"MeshGraphNet got edge features of shape {graph.edge_features.shape}; "
                f"expected (num_edges, {expected[1]})."
            )
        h = jax.vmap(self.node_encoder)(nodes)
        e = jax.vmap(self.edge_encoder)(graph.edge_features)
        params, static = eqx.partition(self.blocks, eqx.is_array)

        def block(carry, block_params):
            h, e = eqx.combine(block_params, static)(*carry, graph)
            return (h, e), None

        (h, _), _ = jax.lax.scan(block, (h, e), params)
        return jax.vmap(self.decoder)(h)


class MeshIncrementStepper(eqx.Module):
    """A one-step emulator on a mesh: ``u_{t+1} = u_t + s_du \\, net([u_t / s_u, c], graph)``.

    **Arguments:** `net` (a `MeshGraphNet` with ``C + C_c`` node inputs and ``C`` outputs),
    `graph`, `constant_features` ``(n, C_c)`` appended to every state (e.g. the forcing; an
    ``(n, 0)`` array for none), `state_scale` ``s_u`` and `increment_scale` ``s_du`` (fixed
    floats, not trained).

    **Returns:** `__call__(u)` maps ``(n, C)`` to the next state ``(n, C)``;
    `rollout(u, num_steps)` gives ``(num_steps, n, C)``, the states after 1..num_steps steps.
    """

    net: MeshGraphNet
    graph: MeshGraph
    constant_features: Float[Array, "n Cc"]
    state_scale: float = eqx.field(static=True)
    increment_scale: float = eqx.field(static=True)

    def __call__(self, u: Float[Array, "n C"]) -> Float[Array, "n C"]:
        nodes = jnp.concatenate([u / self.state_scale, self.constant_features], axis=-1)
        return u + self.increment_scale * self.net(nodes, self.graph)

    def rollout(self, u: Float[Array, "n C"], num_steps: int) -> Float[Array, "steps n C"]:
        def step(state, _):
            new = self(state)
            return new, new

        return jax.lax.scan(step, u, None, length=num_steps)[1]
