"""Deep operator network (Lu et al. 2021): a branch net for the input function, a trunk
net for the query point, combined by an inner product.

    G(u)(y) = sum_{k=1}^{p} b_k(u(x_1), ..., u(x_m)) t_k(y) + b_0

The trunk does not depend on ``u``, so evaluating one input function on a shared grid of
query points ("Cartesian product" evaluation) runs the branch once and the trunk once per
point, then contracts: an ``O(n p)`` einsum instead of ``n`` full evaluations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, PRNGKeyArray

from ._mlp import activation_from_name

__all__ = ["DeepONet"]


class DeepONet(eqx.Module):
    """Deep operator network, unstacked (one branch net) or stacked (p scalar branch nets).

    $$ G(u)(y)_c = \\sum_{k=1}^{p} b_{c k}(u)\\, t_k(y) + b_{0,c} $$

    The branch net reads the input function at `num_sensors` fixed sensor locations; the
    trunk net reads a query point ``y`` of dimension `coord_dim`. The trunk's last layer is
    activated (it is a basis of functions), the branch's is linear (coefficients).

    **Arguments:**

    - `num_sensors`: m, the number of sensor values fed to the branch.
    - `coord_dim`: dimension of the query point y.
    - `latent_dim`: p, the number of basis functions.
    - `out_channels`: output components per query point (p branch coefficients each).
    - `branch_width`, `branch_depth`, `trunk_width`, `trunk_depth`: MLP sizes (hidden layers).
    - `variant`: ``"unstacked"`` (one branch MLP with p outputs) or ``"stacked"`` (p branch
      MLPs with one output each, vmapped, as in the original paper's stacked DeepONet).
    - `activation`: hidden activation, a function or a name such as `"relu"` (ReLU in the
      antiderivative example of the paper).
    - `key`: PRNG key.

    **Returns:** `__call__(u, y)` with ``u: (m,)`` and ``y: (n, coord_dim)`` returns ``(n,)``
    (or ``(n, out_channels)`` when `out_channels > 1`); `evaluate(u, y)` takes a single
    point ``y: (coord_dim,)``.

    ```python
    net = DeepONet(num_sensors=100, coord_dim=1, latent_dim=40, key=jr.key(0))
    s = net(u_sensors, y_grid[:, None])     # (n,) values of G(u) on the grid
    ```

    Reference: Lu, Jin, Pang, Zhang, Karniadakis, Nature Machine Intelligence 3 (2021).
    """

    branch: eqx.nn.MLP
    trunk: eqx.nn.MLP
    bias: Float[Array, " out"]
    latent_dim: int = eqx.field(static=True)
    out_channels: int = eqx.field(static=True)
    num_sensors: int = eqx.field(static=True)
    coord_dim: int = eqx.field(static=True)
    variant: str = eqx.field(static=True)

    def __init__(
        self,
        num_sensors: int,
        coord_dim: int,
        latent_dim: int = 40,
        out_channels: int = 1,
        *,
        branch_width: int = 40,
        branch_depth: int = 1,
        trunk_width: int = 40,
        trunk_depth: int = 2,
        variant: Literal["unstacked", "stacked"] = "unstacked",
        activation: str | Callable = jax.nn.relu,
        key: PRNGKeyArray,
    ):
        if isinstance(activation, str):
            activation = activation_from_name(activation)
        if variant not in ("unstacked", "stacked"):
            raise ValueError(f"variant={variant!r}; expected 'unstacked' or 'stacked'.")
        for name, value in (
            ("num_sensors", num_sensors),
            ("coord_dim", coord_dim),
            ("latent_dim", latent_dim),
            ("out_channels", out_channels),
        ):
            if value < 1:
                raise ValueError(f"{name}={value}; expected a positive integer.")
        bkey, tkey = jr.split(key)
        p_total = latent_dim * out_channels
        if variant == "unstacked":
            self.branch = eqx.nn.MLP(
                num_sensors, p_total, branch_width, branch_depth, activation=activation, key=bkey
            )
        else:
            # p independent scalar-output nets, stored as one MLP with stacked leaves
            # (built in a loop and stacked: vmapping the constructor costs a compile).
            nets = [
                eqx.nn.MLP(
                    num_sensors, "scalar", branch_width, branch_depth, activation=activation, key=k
                )
                for k in jr.split(bkey, p_total)
            ]
            params = [eqx.filter(net, eqx.is_array) for net in nets]
            stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), *params)
            self.branch = eqx.combine(stacked, eqx.filter(nets[0], eqx.is_array, inverse=True))
        self.trunk = eqx.nn.MLP(
            coord_dim,
            latent_dim,
            trunk_width,
            trunk_depth,
            activation=activation,
            final_activation=activation,
            key=tkey,
        )
        self.bias = jnp.zeros((out_channels,))
        self.latent_dim = latent_dim
        self.out_channels = out_channels
        self.num_sensors = num_sensors
        self.coord_dim = coord_dim
        self.variant = variant

    def branch_coefficients(self, u: Float[Array, " m"]) -> Float[Array, "out p"]:
        """The branch output ``b(u)`` reshaped to ``(out_channels, latent_dim)``."""
        if u.shape != (self.num_sensors,):
            raise ValueError(
                f"DeepONet branch expects the input function at {self.num_sensors} sensors, "
                f"shape ({self.num_sensors},), got {u.shape}; vmap over a batch of functions."
            )
        if not jnp.issubdtype(u.dtype, jnp.floating):
            raise ValueError(
                f"DeepONet got sensor values of dtype {u.dtype}; expected a real floating "
                "dtype; cast with u.astype(jnp.float32)."
            )
        u = eqx.error_if(u, ~jnp.all(jnp.isfinite(u)), "DeepONet sensor values contain NaN/inf.")
        if self.variant == "unstacked":
            coeffs = self.branch(u)
        else:
            coeffs = eqx.filter_vmap(lambda net: net(u))(self.branch)
        return coeffs.reshape(self.out_channels, self.latent_dim)

    def evaluate(self, u: Float[Array, " m"], y: Float[Array, " dim"]) -> Float[Array, "..."]:
        """``G(u)(y)`` at a single query point (pointwise evaluation)."""
        if y.shape != (self.coord_dim,):
            raise ValueError(f"query point must have shape ({self.coord_dim},), got {y.shape}.")
        out = self.branch_coefficients(u) @ self.trunk(y) + self.bias
        return out[0] if self.out_channels == 1 else out

    def __call__(self, u: Float[Array, " m"], y: Float[Array, "n dim"]) -> Float[Array, "n ..."]:
        if y.ndim != 2 or y.shape[1] != self.coord_dim:
            raise ValueError(
                f"query points must have shape (n, {self.coord_dim}), got {y.shape}; "
                "for a single point use DeepONet.evaluate."
            )
        if not jnp.issubdtype(y.dtype, jnp.floating):
            raise ValueError(
                f"DeepONet got query points of dtype {y.dtype}; expected a real floating "
                "dtype; cast with y.astype(jnp.float32)."
            )
        basis = jax.vmap(self.trunk)(y)  # (n, p), shared by all outputs
        out = basis @ self.branch_coefficients(u).T + self.bias  # (n, out)
        return out[:, 0] if self.out_channels == 1 else out
