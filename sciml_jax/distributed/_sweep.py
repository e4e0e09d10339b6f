"""Parameter sweeps: vmap a pure function over a batch of parameters, sharded across devices."""

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec

from .._types import PyTree
from ._devices import active_device_count
from ._mesh import data_mesh


def sweep(
    fn: Callable[[PyTree], PyTree],
    params: PyTree,
    *,
    num_devices: int | None = None,
    batch_size: int | None = None,
) -> PyTree:
    """Evaluate `fn` on every entry of a stacked parameter batch, in parallel.

    $\\text{out}_i = \\text{fn}(\\text{params}_i)$ for $i$ along the leading axis.

    One `jit(vmap(fn))` over the whole batch; when several devices are visible the batch
    is split along its leading axis across them (padded to a multiple of the device
    count by repeating the last entry, then trimmed), so each device runs its share and
    no communication is needed. `batch_size` bounds memory by mapping sequentially over
    chunks of that many entries per device (`lax.map`).

    **Arguments:**

    - `fn`: a pure function of one (unbatched) parameter PyTree, e.g.
      `lambda nu: rollout_final(Burgers(1, L, N, dt, diffusivity=nu), u0, n)`.
    - `params`: a PyTree whose leaves share a leading sweep axis.
    - `num_devices`: devices to use (default: the config's `devices` inside a run, see
      `use_devices`; all visible outside one).
    - `batch_size`: entries vmapped at once per device (default: all). Besides bounding
      memory it can be faster on a CPU, where a chunk whose working set fits in cache
      beats one wide batch that spills: 256 Burgers solves at N=256 run 1.5x faster with
      `batch_size=64` on a 2-core x86 machine (`benchmarks/sim_throughput.py --only sweep`).

    The compiled sweep is cached per `fn` (by identity): define `fn` once and call
    `sweep` repeatedly to pay compilation once.

    **Returns:**

    The outputs stacked along the leading axis, as if `jax.vmap(fn)(params)`.

    **Example:**

    ```python
    finals = sweep(solve, jnp.geomspace(1e-3, 1e-1, 256))   # 256 viscosities
    ```
    """
    leaves = jax.tree.leaves(params)
    if not leaves:
        raise ValueError("sweep got an empty parameter PyTree; pass arrays with a sweep axis.")
    sizes = {jnp.shape(leaf)[0] if jnp.ndim(leaf) else None for leaf in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            f"every leaf of params must have the same leading (sweep) axis; got leading "
            f"sizes {sorted(map(str, sizes))}. Stack the parameters with jnp.stack."
        )
    (size,) = sizes
    mesh = data_mesh(active_device_count() if num_devices is None else num_devices)
    devices = mesh.shape["data"]
    padded = -(-size // devices) * devices
    if padded != size:
        params = jax.tree.map(
            lambda leaf: jnp.concatenate([leaf, jnp.repeat(leaf[-1:], padded - size, axis=0)]),
            params,
        )

    if devices > 1:
        sharding = NamedSharding(mesh, PartitionSpec("data"))
        params = jax.device_put(params, sharding)
    else:
        sharding = None
    outputs = _compiled(fn, batch_size, sharding)(params)
    if padded == size:
        # No padding to trim: slicing would only add an eager copy of every output.
        return outputs
    return jax.tree.map(lambda leaf: leaf[:size], outputs)


@functools.lru_cache(maxsize=64)
def _compiled(fn, batch_size, sharding):
    # Cached per (fn, batch_size, sharding): calling `sweep` again with the same `fn`
    # reuses the compiled executable instead of tracing a fresh jit wrapper.
    if batch_size is None:
        batched = jax.vmap(fn)
    else:
        batched = lambda p: jax.lax.map(fn, p, batch_size=batch_size)
    if sharding is None:
        return jax.jit(batched)
    return jax.jit(batched, in_shardings=sharding)
