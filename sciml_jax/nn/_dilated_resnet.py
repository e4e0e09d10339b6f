"""Dilated residual network baseline (Stachenfeld et al. 2022, "Learned coarse models for
efficient turbulence simulation"), in any number of spatial dimensions.

Each block stacks convolutions with dilations 1, 2, 4, 8, 4, 2, 1, so a block sees
``2 * (1+2+4+8+4+2+1) + 1 = 45`` grid points per axis at constant resolution and cost,
and adds the result to its input (residual).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.random as jr
from jaxtyping import Array, Float, PRNGKeyArray

__all__ = ["DilatedResNet"]


class _DilatedBlock(eqx.Module):
    convs: tuple[eqx.nn.Conv, ...]
    activation: Callable = eqx.field(static=True)

    def __init__(self, d, channels, dilations, padding_mode, activation, *, key):
        keys = jr.split(key, len(dilations))
        self.convs = tuple(
            eqx.nn.Conv(
                d, channels, channels, 3, padding=r, dilation=r, padding_mode=padding_mode, key=k
            )
            for r, k in zip(dilations, keys, strict=True)
        )
        self.activation = activation

    def __call__(self, x):
        h = x
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if i < len(self.convs) - 1:
                h = self.activation(h)
        return x + h


class DilatedResNet(eqx.Module):
    """Dilated ResNet: encode, residual blocks of dilated convolutions, decode.

    $$ h_{b+1} = h_b + C_{1} \\circ \\sigma \\circ C_{2} \\circ \\dots
       \\circ \\sigma \\circ C_{1}(h_b) $$

    where ``C_r`` is a 3-point (per axis) convolution with dilation r.

    **Arguments:**

    - `in_channels`, `out_channels`: field channels.
    - `hidden_channels`: channels inside the blocks (48 in the reference paper).
    - `num_blocks`: residual blocks (4 in the reference paper).
    - `num_spatial_dims`: 1, 2 or 3.
    - `dilations`: dilation sequence per block.
    - `padding_mode`: ``"CIRCULAR"`` for periodic data.
    - `activation`, `key`.

    **Returns:** `__call__(x)` maps ``(in_channels, *grid)`` to ``(out_channels, *grid)``.
    """

    encoder: eqx.nn.Conv
    blocks: tuple[_DilatedBlock, ...]
    decoder: eqx.nn.Conv
    num_spatial_dims: int = eqx.field(static=True)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int = 48,
        num_blocks: int = 4,
        num_spatial_dims: int = 1,
        *,
        dilations: Sequence[int] = (1, 2, 4, 8, 4, 2, 1),
        padding_mode: str = "CIRCULAR",
        activation: Callable = jax.nn.relu,
        key: PRNGKeyArray,
    ):
        if num_blocks < 1 or not dilations or min(dilations) < 1:
            raise ValueError(
                f"num_blocks={num_blocks}, dilations={tuple(dilations)}; expected at least one "
                "block and positive dilations such as (1, 2, 4, 8, 4, 2, 1)."
            )
        ekey, dkey, *bkeys = jr.split(key, 2 + num_blocks)
        d = num_spatial_dims
        self.encoder = eqx.nn.Conv(
            d, in_channels, hidden_channels, 3, padding=1, padding_mode=padding_mode, key=ekey
        )
        self.blocks = tuple(
            _DilatedBlock(d, hidden_channels, tuple(dilations), padding_mode, activation, key=k)
            for k in bkeys
        )
        self.decoder = eqx.nn.Conv(
            d, hidden_channels, out_channels, 3, padding=1, padding_mode=padding_mode, key=dkey
        )
        self.num_spatial_dims = d

    def __call__(self, x: Float[Array, " in *grid"]) -> Float[Array, " out *grid"]:
        if x.ndim != self.num_spatial_dims + 1:
            raise ValueError(
                f"DilatedResNet with {self.num_spatial_dims} spatial dims expects "
                f"(channels, *grid), got {x.shape}; vmap over a batch."
            )
        h = self.encoder(x)
        for block in self.blocks:
            h = block(h)
        return self.decoder(h)
