"""A U-Net baseline for grid-to-grid operator learning and emulation (any spatial dim).

Encoder: conv blocks at halving resolutions; decoder: nearest upsampling, a conv, and the
encoder feature of the same resolution concatenated (skip connection). Circular padding by
default, for periodic fields. Unlike the FNO, a U-Net's receptive field is measured in grid
points, so it is tied to the training resolution: it is the baseline the FNO's resolution
invariance is compared against.
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, PRNGKeyArray

__all__ = ["UNet"]


def _conv(d, cin, cout, k, padding_mode, key, stride=1, dilation=1):
    return eqx.nn.Conv(
        d,
        cin,
        cout,
        k,
        stride=stride,
        padding=dilation * (k // 2),
        dilation=dilation,
        padding_mode=padding_mode,
        key=key,
    )


class _ConvBlock(eqx.Module):
    conv1: eqx.nn.Conv
    conv2: eqx.nn.Conv
    norm1: eqx.nn.GroupNorm
    norm2: eqx.nn.GroupNorm
    activation: Callable = eqx.field(static=True)

    def __init__(self, d, cin, cout, padding_mode, activation, *, key):
        k1, k2 = jr.split(key)
        self.conv1 = _conv(d, cin, cout, 3, padding_mode, k1)
        self.conv2 = _conv(d, cout, cout, 3, padding_mode, k2)
        groups = 8 if cout % 8 == 0 else 1
        self.norm1 = eqx.nn.GroupNorm(groups, cout)
        self.norm2 = eqx.nn.GroupNorm(groups, cout)
        self.activation = activation

    def __call__(self, x):
        x = self.activation(self.norm1(self.conv1(x)))
        return self.activation(self.norm2(self.conv2(x)))


class UNet(eqx.Module):
    """U-Net (Ronneberger et al. 2015) in 1, 2 or 3 spatial dimensions.

    **Arguments:**

    - `in_channels`, `out_channels`: field channels.
    - `hidden_channels`: channels at the finest level (doubled at each coarser level).
    - `num_levels`: number of downsamplings; the grid size along every axis must be
      divisible by ``2**num_levels``.
    - `num_spatial_dims`: 1, 2 or 3.
    - `padding_mode`: ``"CIRCULAR"`` (periodic data) or ``"ZEROS"``.
    - `activation`: nonlinearity (GELU).
    - `key`: PRNG key.

    **Returns:** `__call__(x)` maps ``(in_channels, *grid)`` to ``(out_channels, *grid)``.

    ```python
    net = UNet(1, 1, hidden_channels=16, num_levels=3, num_spatial_dims=1, key=jr.key(0))
    net(jnp.zeros((1, 256))).shape   # (1, 256)
    ```
    """

    lift: eqx.nn.Conv
    down_blocks: tuple[_ConvBlock, ...]
    downsamplers: tuple[eqx.nn.Conv, ...]
    bottleneck: _ConvBlock
    upsample_convs: tuple[eqx.nn.Conv, ...]
    up_blocks: tuple[_ConvBlock, ...]
    project: eqx.nn.Conv
    num_levels: int = eqx.field(static=True)
    num_spatial_dims: int = eqx.field(static=True)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        hidden_channels: int = 16,
        num_levels: int = 3,
        num_spatial_dims: int = 1,
        *,
        padding_mode: str = "CIRCULAR",
        activation: Callable = jax.nn.gelu,
        key: PRNGKeyArray,
    ):
        if num_levels < 1:
            raise ValueError(f"num_levels={num_levels}; expected at least 1.")
        d, c = num_spatial_dims, hidden_channels
        keys = iter(jr.split(key, 4 * num_levels + 4))
        self.lift = _conv(d, in_channels, c, 3, padding_mode, next(keys))
        widths = [c * 2**i for i in range(num_levels + 1)]
        self.down_blocks = tuple(
            _ConvBlock(d, widths[i], widths[i], padding_mode, activation, key=next(keys))
            for i in range(num_levels)
        )
        self.downsamplers = tuple(
            _conv(d, widths[i], widths[i + 1], 3, padding_mode, next(keys), stride=2)
            for i in range(num_levels)
        )
        self.bottleneck = _ConvBlock(
            d, widths[-1], widths[-1], padding_mode, activation, key=next(keys)
        )
        self.upsample_convs = tuple(
            _conv(d, widths[i + 1], widths[i], 3, padding_mode, next(keys))
            for i in reversed(range(num_levels))
        )
        self.up_blocks = tuple(
            _ConvBlock(d, 2 * widths[i], widths[i], padding_mode, activation, key=next(keys))
            for i in reversed(range(num_levels))
        )
        self.project = _conv(d, c, out_channels, 1, padding_mode, next(keys))
        self.num_levels = num_levels
        self.num_spatial_dims = d

    def __call__(self, x: Float[Array, " in *grid"]) -> Float[Array, " out *grid"]:
        factor = 2**self.num_levels
        if x.ndim != self.num_spatial_dims + 1 or any(n % factor for n in x.shape[1:]):
            raise ValueError(
                f"UNet with {self.num_levels} levels and {self.num_spatial_dims} spatial dims "
                f"got shape {x.shape}; expected (channels, *grid) with every grid size "
                f"divisible by {factor}."
            )
        in_channels = self.lift.in_channels
        if x.shape[0] != in_channels or not jnp.issubdtype(x.dtype, jnp.floating):
            raise ValueError(
                f"UNet got an input of shape {x.shape} and dtype {x.dtype}; expected "
                f"{in_channels} channels on axis 0 and a real floating dtype; cast with "
                "x.astype(jnp.float32)."
            )
        h = self.lift(x)
        skips = []
        for block, down in zip(self.down_blocks, self.downsamplers, strict=True):
            h = block(h)
            skips.append(h)
            h = down(h)
        h = self.bottleneck(h)
        for conv, block, skip in zip(
            self.upsample_convs, self.up_blocks, reversed(skips), strict=True
        ):
            for axis in range(1, h.ndim):
                h = jnp.repeat(h, 2, axis=axis)
            h = block(jnp.concatenate([conv(h), skip], axis=0))
        return self.project(h)
