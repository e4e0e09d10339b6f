"""The base of the sbibm tasks: a prior, an unbatched simulator and the reference data."""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from .._types import Array, Float, Key
from ..data import SBIBMReference, load_sbibm_reference

__all__ = ["AbstractTask"]


class AbstractTask(eqx.Module):
    """A simulation-based inference problem: a prior and a simulator $x \\sim p(x|\\theta)$.

    Subclasses name the task (`name`, matching sbibm's folder), give the dimensions, the
    prior as a flowjax distribution (`sample(key, shape)`, `log_prob(theta)`) and
    `simulate(theta, *, key)` for ONE parameter vector; `simulate_batch` vmaps it.
    The observations and reference posterior samples are sbibm's own (`reference(k)`).

    **Example:**

    ```python
    task = TwoMoons()
    theta = task.prior.sample(jr.key(0), (1000,))
    x = task.simulate_batch(theta, key=jr.key(1))      # (1000, 2)
    ref = task.reference(1)                            # sbibm's observation 1
    ```
    """

    name: eqx.AbstractClassVar[str]
    dim_theta: eqx.AbstractClassVar[int]
    dim_x: eqx.AbstractClassVar[int]

    @property
    @abc.abstractmethod
    def prior(self):
        """The prior, a flowjax distribution of shape `(dim_theta,)`."""

    @abc.abstractmethod
    def simulate(self, theta: Float[Array, " dim_theta"], *, key: Key) -> Float[Array, " dim_x"]:
        """One draw of $x \\sim p(x | \\theta)$ for one parameter vector."""

    def simulate_batch(
        self, theta: Float[Array, "n dim_theta"], *, key: Key
    ) -> Float[Array, "n dim_x"]:
        """`simulate` vmapped over the rows of `theta`, one independent key per row."""
        theta = jnp.asarray(theta)
        if theta.ndim != 2 or theta.shape[1] != self.dim_theta:
            raise ValueError(
                f"{self.name}: theta has shape {theta.shape}; expected (n, {self.dim_theta})."
            )
        keys = jr.split(key, theta.shape[0])
        return jax.vmap(lambda t, k: self.simulate(t, key=k))(theta, keys)

    def in_support(self, theta: Float[Array, "*batch dim_theta"]) -> Array:
        """True where the prior density is positive (posterior samples must lie there)."""
        logp = jnp.vectorize(self.prior.log_prob, signature="(d)->()")(theta)
        return jnp.isfinite(logp)

    def reference(self, num_observation: int = 1) -> SBIBMReference:
        """sbibm's observation `num_observation` (1..10) with its reference posterior."""
        return load_sbibm_reference(self.name, num_observation)
