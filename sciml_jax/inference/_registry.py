"""The sbibm tasks by name."""

from ._bernoulli_glm import BernoulliGLM
from ._epidemics import SIR, LotkaVolterraTask
from ._gaussian_linear import GaussianLinear, GaussianLinearUniform
from ._gaussian_mixture import GaussianMixture
from ._slcp import SLCP
from ._task import AbstractTask
from ._two_moons import TwoMoons

__all__ = ["TASKS", "get_task"]

TASKS: dict[str, type[AbstractTask]] = {
    cls.name: cls
    for cls in (
        TwoMoons,
        GaussianLinear,
        GaussianLinearUniform,
        GaussianMixture,
        SLCP,
        BernoulliGLM,
        LotkaVolterraTask,
        SIR,
    )
}


def get_task(name: str) -> AbstractTask:
    """The task called `name` (sbibm's name, e.g. `"two_moons"`)."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {sorted(TASKS)}.")
    return TASKS[name]()
