"""Declaring allowed values on config dataclass fields."""

import dataclasses
from collections.abc import Sequence
from typing import Any

_MISSING = dataclasses.MISSING


def spec(
    default: Any = _MISSING,
    *,
    default_factory: Any = _MISSING,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: Sequence[Any] | None = None,
    doc: str = "",
) -> Any:
    """A dataclass field with a range or a set of allowed values.

    The loader checks these bounds when it reads a YAML file and reports a violation as
    one line naming the file, the key, the value and the bounds.

    **Arguments:**

    - `default` / `default_factory`: as for `dataclasses.field`.
    - `ge`, `gt`, `le`, `lt`: inclusive/exclusive numeric bounds.
    - `choices`: the allowed values (for strings that are not a `Literal`).
    - `doc`: a short description shown in errors.

    **Example:**

    ```python
    @dataclass(frozen=True)
    class ProblemConfig:
        nu: float = spec(0.01, gt=0.0, doc="viscosity")
    ```
    """
    metadata = {"ge": ge, "gt": gt, "le": le, "lt": lt, "choices": choices, "doc": doc}
    metadata = {k: v for k, v in metadata.items() if v not in (None, "")}
    if default_factory is not _MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)
