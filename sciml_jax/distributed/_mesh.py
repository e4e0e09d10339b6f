"""Device meshes and shardings for data-parallel training, on one host or several."""

import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import PyTree


def initialize_multihost() -> bool:
    """Join a multi-host job with `jax.distributed.initialize`, if one is configured.

    Reads `SCIML_COORDINATOR` (host:port), `SCIML_NUM_PROCESSES` and `SCIML_PROCESS_ID`;
    on clusters that JAX detects itself (SLURM, TPU pods) set `SCIML_COORDINATOR=auto`.
    Returns whether a multi-host job was joined. Call it before any other JAX work.
    """
    coordinator = os.environ.get("SCIML_COORDINATOR")
    if not coordinator:
        return False
    if coordinator == "auto":
        jax.distributed.initialize()
        return True
    try:
        num_processes = int(os.environ["SCIML_NUM_PROCESSES"])
        process_id = int(os.environ["SCIML_PROCESS_ID"])
    except (KeyError, ValueError):
        raise ValueError(
            "SCIML_COORDINATOR is set, so SCIML_NUM_PROCESSES and SCIML_PROCESS_ID must be "
            f"integers too; got {os.environ.get('SCIML_NUM_PROCESSES')!r} and "
            f"{os.environ.get('SCIML_PROCESS_ID')!r}"
        ) from None
    jax.distributed.initialize(coordinator, num_processes, process_id)
    return True


def data_mesh(num_devices: int | None = None, axis: str = "data") -> Mesh:
    """A one-axis mesh over the first `num_devices` devices (all by default)."""
    devices = jax.devices()
    if num_devices is not None:
        if not 1 <= num_devices <= len(devices):
            raise ValueError(
                f"asked for {num_devices} devices but {len(devices)} are visible; on CPU, "
                "set XLA_FLAGS=--xla_force_host_platform_device_count=N before importing jax"
            )
        devices = devices[:num_devices]
    return Mesh(np.asarray(devices), (axis,))


def shard_batch(batch: PyTree, mesh: Mesh, axis: str = "data") -> PyTree:
    """Split every array of `batch` along its first axis across the mesh.

    With the batch sharded and the model replicated, `jit` partitions each training step
    across devices (SPMD) and inserts the gradient all-reduce itself; `fit` needs no change.
    """

    def place(leaf):
        leaf = jax.numpy.asarray(leaf)
        if leaf.ndim == 0 or leaf.shape[0] % mesh.shape[axis] != 0:
            raise ValueError(
                f"cannot split an array of shape {leaf.shape} across {mesh.shape[axis]} "
                f"devices along axis 0; make the batch size a multiple of {mesh.shape[axis]}"
            )
        spec = PartitionSpec(axis, *([None] * (leaf.ndim - 1)))
        return jax.device_put(leaf, NamedSharding(mesh, spec))

    return jax.tree.map(place, batch)


def replicate(tree: PyTree, mesh: Mesh) -> PyTree:
    """Place a full copy of every array of `tree` on each device of the mesh."""
    sharding = NamedSharding(mesh, PartitionSpec())
    return jax.tree.map(
        lambda leaf: (
            jax.device_put(leaf, sharding) if isinstance(leaf, jax.Array | np.ndarray) else leaf
        ),
        tree,
    )
