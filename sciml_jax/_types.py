"""Shape-annotated array aliases shared by every subpackage.

Annotations follow jaxtyping: ``Float[Array, "n d"]``. The aliases here name the
objects that recur across the library so signatures read as physics.
"""

from collections.abc import Callable
from typing import Any, TypeAlias

from jaxtyping import Array, Float, Int, PRNGKeyArray, PyTree

Scalar: TypeAlias = Float[Array, ""]
Point: TypeAlias = Float[Array, " dim"]
Coords: TypeAlias = Float[Array, "n dim"]
Field: TypeAlias = Float[Array, "channels *grid"]  # noqa: F821
Key: TypeAlias = PRNGKeyArray
# A function of one point (x, ..., t); with `vectorize=True` also of points as columns.
PointFunction: TypeAlias = Callable[[Point], Array]
Params: TypeAlias = PyTree[Any]
Batch: TypeAlias = PyTree[Any]

__all__ = [
    "Array",
    "Float",
    "Int",
    "PyTree",
    "Scalar",
    "Point",
    "Coords",
    "Field",
    "Key",
    "PointFunction",
    "Params",
    "Batch",
]
