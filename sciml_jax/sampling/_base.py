"""The sampler interface: how the training loop draws a batch inside `jit`, every step."""

import abc

import equinox as eqx
from jaxtyping import PyTree

from .._types import Key


class AbstractSampler(eqx.Module):
    """Draws a training batch inside the jitted loop, every step.

    Subclasses implement `init(key) -> state` and `sample(state, key) -> (batch, state)`;
    the state is saved in checkpoints, so resampling strategies that remember (adaptive
    refinement pools) resume exactly.
    """

    @abc.abstractmethod
    def init(self, key: Key) -> PyTree:
        raise NotImplementedError

    @abc.abstractmethod
    def sample(self, state: PyTree, key: Key) -> tuple[PyTree, PyTree]:
        raise NotImplementedError

    def fixed_from(self, step: int) -> bool:
        """Whether every batch drawn from `step` on is the same one.

        Then an L-BFGS phase starting at `step` minimises one fixed function and may
        reuse the line search's last evaluation. The default, `False`, is always safe.
        """
        return False
