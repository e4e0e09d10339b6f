"""Comparison helpers for tests."""

import jax
import jax.numpy as jnp
import numpy as np


def tree_allclose(x, y, *, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True if two PyTrees have the same structure and all array leaves are close.

    Tolerances follow `numpy.allclose`: `|x - y| <= atol + rtol * |y|` elementwise. The
    defaults suit float32 results of identical computations done in a different order
    (vmapped versus looped); use `rtol=0, atol=0` to demand bit-identical leaves.
    """
    x_leaves, x_def = jax.tree.flatten(x)
    y_leaves, y_def = jax.tree.flatten(y)
    if x_def != y_def:
        return False
    for a, b in zip(x_leaves, y_leaves, strict=True):
        if isinstance(a, jax.Array | np.ndarray) or isinstance(b, jax.Array | np.ndarray):
            a, b = jnp.asarray(a), jnp.asarray(b)
            if a.shape != b.shape or a.dtype != b.dtype:
                return False
            if not np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol):
                return False
        elif a != b:
            return False
    return True


def tree_equal_bits(x, y) -> bool:
    """True if two PyTrees are bit-for-bit identical (NaNs compare equal)."""
    x_leaves, x_def = jax.tree.flatten(x)
    y_leaves, y_def = jax.tree.flatten(y)
    return x_def == y_def and all(
        np.asarray(a).dtype == np.asarray(b).dtype
        and np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
        for a, b in zip(x_leaves, y_leaves, strict=True)
    )
