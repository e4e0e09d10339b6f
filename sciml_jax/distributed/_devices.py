"""The devices a run uses: one mesh chosen by the config's `devices` key, and how the
training state and batches are laid out on it.

The CLI enters `use_devices(config.devices)` around an experiment; `fit` and `sweep` read
`active_mesh()`, so an experiment needs no change to run on several devices: its batches
(collocation points, operator samples, sweep members) are split along their leading axis
and the model is replicated (an ensemble's members are split instead, see `fit`).
"""

import contextlib
from collections.abc import Iterator
from typing import Literal

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .._types import PyTree
from ._mesh import data_mesh

Devices = int | Literal["all"]
_active: Mesh | None = None
_active_count: int | None = None


def active_mesh() -> Mesh | None:
    """The mesh entered with `use_devices`, or `None` outside one (or for one device)."""
    return _active


def active_device_count() -> int | None:
    """The device count entered with `use_devices`, or `None` outside one."""
    return _active_count


@contextlib.contextmanager
def use_devices(devices: Devices) -> Iterator[Mesh | None]:
    """Run the enclosed code on `devices` (a count, or `"all"` visible devices).

    With one device nothing changes (the mesh is `None`): results are bit-identical to
    code that never heard of meshes. With several, `fit` and `sweep` shard over them.
    Across processes (`jax.distributed`), `"all"` means every process's devices.
    """
    global _active, _active_count
    if devices == "all":
        count = jax.device_count()
    elif isinstance(devices, int) and not isinstance(devices, bool) and devices >= 1:
        count = devices
    else:
        raise ValueError(
            f"devices = {devices!r}; expected 'all' or a positive integer (e.g. devices=4)"
        )
    mesh = data_mesh(count) if count > 1 else None
    previous = _active, _active_count
    _active, _active_count = mesh, count
    try:
        yield mesh
    finally:
        _active, _active_count = previous


def _leading_spec(leaf, size: int, axis: str) -> PartitionSpec:
    if np.ndim(leaf) >= 1 and np.shape(leaf)[0] % size == 0 and np.shape(leaf)[0] >= size:
        return PartitionSpec(axis, *([None] * (np.ndim(leaf) - 1)))
    return PartitionSpec()


def split_leading(tree: PyTree, mesh: Mesh, axis: str = "data") -> PyTree:
    """Place `tree` on `mesh`: leaves whose leading axis divides evenly over the devices
    are split along it, the others (scalars, odd sizes) replicated."""
    size = mesh.shape[axis]

    def place(leaf):
        if not isinstance(leaf, jax.Array | np.ndarray):
            return leaf
        return jax.device_put(leaf, NamedSharding(mesh, _leading_spec(leaf, size, axis)))

    return jax.tree.map(place, tree)


def constrain_leading(tree: PyTree, mesh: Mesh, axis: str = "data") -> PyTree:
    """Inside `jit`: ask XLA to keep each leaf split along its leading axis (where it
    divides evenly), so a batch drawn inside the step is computed device by device."""
    size = mesh.shape[axis]
    return jax.tree.map(
        lambda leaf: (
            jax.lax.with_sharding_constraint(
                leaf, NamedSharding(mesh, _leading_spec(leaf, size, axis))
            )
            if isinstance(leaf, jax.Array)
            else leaf
        ),
        tree,
    )


def constrain_replicated(tree: PyTree, mesh: Mesh) -> PyTree:
    """Inside `jit`: ask XLA for a whole copy of each leaf on every device."""
    replicated = NamedSharding(mesh, PartitionSpec())
    return jax.tree.map(
        lambda leaf: (
            jax.lax.with_sharding_constraint(leaf, replicated)
            if isinstance(leaf, jax.Array)
            else leaf
        ),
        tree,
    )


def to_local(tree: PyTree) -> PyTree:
    """Every array of `tree` whole on this process's default device.

    After a sharded `fit`, the model comes back as ordinary single-device arrays, so
    evaluation, plots and saving in the experiment run as before (in every process).
    """
    device = jax.local_devices()[0]

    def gather(leaf):
        if not isinstance(leaf, jax.Array) or len(leaf.sharding.device_set) == 1:
            return leaf
        if leaf.is_fully_replicated:
            local = leaf.addressable_data(0)
        elif leaf.is_fully_addressable:
            local = np.asarray(leaf)
        else:
            local = multihost_utils.process_allgather(leaf, tiled=True)
        return jax.device_put(local, device)

    return jax.tree.map(gather, tree)
