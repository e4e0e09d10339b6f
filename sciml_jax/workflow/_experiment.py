"""Small pieces of an experiment module: its config class and timing a compiled call."""

import dataclasses
import time
from collections.abc import Callable

import jax

from ..config import RunConfig


def experiment_config(**sections: type) -> type:
    """The `Config` of an experiment: `RunConfig` plus one section per keyword.

    `Config = experiment_config(problem=ProblemConfig)` is the frozen dataclass

    ```python
    @dataclass(frozen=True)
    class Config(RunConfig):
        problem: ProblemConfig = field(default_factory=ProblemConfig)
    ```
    """
    fields = [(name, cls, dataclasses.field(default_factory=cls)) for name, cls in sections.items()]
    return dataclasses.make_dataclass("Config", fields, bases=(RunConfig,), frozen=True)


def timed(fn: Callable, *args, warmup: bool = False) -> tuple:
    """`(fn(*args), seconds)`: the wall time of one call until its results are ready;
    with `warmup`, after a first call that compiles it."""
    if warmup:
        jax.block_until_ready(fn(*args))
    start = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return out, time.perf_counter() - start
