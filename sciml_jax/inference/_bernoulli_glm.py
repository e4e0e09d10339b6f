"""sbibm's Bernoulli GLM task: a spiking neuron's linear-nonlinear filter from spike counts."""

from typing import ClassVar

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from flowjax.distributions import MultivariateNormal

from ._task import AbstractTask

__all__ = ["BernoulliGLM", "bernoulli_glm_design_matrix", "bernoulli_glm_prior_precision"]

_T = 100  # time bins of the white-noise stimulus
_STIMULUS_SEED = 42  # sbibm freezes the stimulus with numpy's RandomState(42)


def bernoulli_glm_design_matrix() -> np.ndarray:
    """sbibm's `(100, 10)` design matrix: a column of ones, then the stimulus lagged 0..8.

    The stimulus is $I_t \\sim N(0, 1)$, $t = 0..99$, drawn by
    `np.random.RandomState(42).randn(100)` in float32 (as sbibm's `_setup` does);
    $X_{t, 1+j} = I_{t-j}$ for $t \\ge j$ and 0 before, so $X\\theta$ is the offset plus
    the causal convolution of the stimulus with the 9-tap filter.
    """
    stimulus = np.random.RandomState(_STIMULUS_SEED).randn(_T).astype(np.float32)
    lagged = np.zeros((_T, 9), np.float32)
    for j in range(9):
        lagged[j:, j] = stimulus[: _T - j]
    return np.concatenate([np.ones((_T, 1), np.float32), lagged], axis=1)


def bernoulli_glm_prior_precision() -> np.ndarray:
    """The prior's `(10, 10)` precision: 0.5 on the offset, $F^T F$ on the filter.

    $F = D^2 + \\mathrm{diag}(\\sqrt{j / 9})_{j=0..8}$ with $D$ the first-difference
    matrix (ones on the diagonal, minus ones below it): a smoothness prior that penalises
    the filter's second differences (sbibm's `BernoulliGLM.__init__`).
    """
    m = 9
    d = np.eye(m) - np.eye(m, k=-1)
    f = d @ d + np.diag(np.sqrt(np.arange(m) / m))
    precision = np.zeros((m + 1, m + 1))
    precision[0, 0] = 0.5
    precision[1:, 1:] = f.T @ f
    return precision


class BernoulliGLM(AbstractTask):
    """A Bernoulli generalised linear model of a neuron, observed through sufficient statistics.

    $\\theta \\in \\mathbb{R}^{10}$ (offset and a 9-tap filter) has the Gaussian prior
    $N(0, B^{-1})$ of `bernoulli_glm_prior_precision`. Spikes in 100 bins are
    $y_t \\sim \\mathrm{Bernoulli}(\\sigma((X\\theta)_t))$ with $X$ the design matrix of
    `bernoulli_glm_design_matrix`, and the data are $x = X^T y$: the spike count and the
    spike-triggered sums of the stimulus at lags 0..8 (sbibm's count plus
    `conv1d(y, I, padding=8)[-9:]`, which is the same thing), the GLM's sufficient
    statistics. Hence $E[x|\\theta] = X^T p$ and $\\mathrm{Cov}[x|\\theta] = X^T
    \\mathrm{diag}(p(1-p)) X$ with $p = \\sigma(X\\theta)$.
    """

    name: ClassVar[str] = "bernoulli_glm"
    dim_theta: ClassVar[int] = 10
    dim_x: ClassVar[int] = 10

    @property
    def prior(self):
        covariance = np.linalg.inv(bernoulli_glm_prior_precision())
        return MultivariateNormal(jnp.zeros(10), jnp.asarray(covariance, jnp.float32))

    def spike_probabilities(self, theta):
        """$p_t = \\sigma((X\\theta)_t)$, the spike probability in each of the 100 bins."""
        return jax.nn.sigmoid(jnp.asarray(bernoulli_glm_design_matrix()) @ theta)

    def simulate(self, theta, *, key):
        design = jnp.asarray(bernoulli_glm_design_matrix(), theta.dtype)
        spikes = jr.bernoulli(key, self.spike_probabilities(theta)).astype(theta.dtype)
        return design.T @ spikes
