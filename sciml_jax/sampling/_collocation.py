"""Collocation point samplers: uniform, Latin hypercube, Sobol, and residual-adaptive.

Unit-cube point sets come from `unit_points(method, key, n, dim)`; domains place them.
`CollocationSampler` redraws a whole PINN batch (interior, boundary, initial points)
every training step inside the jitted loop; `rad_select` and `rar_refine` concentrate
points where the residual is large.
"""

from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from ..geometry import AbstractDomain, TimeDomain
from ._base import AbstractSampler

Method = Literal["uniform", "lhs", "sobol", "grid"]
_METHODS = ("uniform", "lhs", "sobol", "grid")


def latin_hypercube(key: PRNGKeyArray, n: int, dim: int) -> Float[Array, "n dim"]:
    r"""Latin hypercube points in $[0,1]^{dim}$: each coordinate has one point per stratum.

    Coordinate $j$ of point $i$ is $(\pi_j(i) + U_{ij}) / n$ with independent random
    permutations $\pi_j$, so every 1-D projection is stratified (lower variance than
    i.i.d. uniform for additive integrands). Pure JAX, usable under `jit`.
    """
    pkey, ukey = jax.random.split(key)
    perms = jax.vmap(lambda k: jax.random.permutation(k, n))(jax.random.split(pkey, dim))
    jitter = jax.random.uniform(ukey, (n, dim))
    return (perms.T + jitter) / n


def sobol_points(n: int, dim: int, *, seed: int = 0, scramble: bool = True) -> np.ndarray:
    r"""`n` Sobol low-discrepancy points in $[0,1]^{dim}$ (scipy, outside `jit`).

    Use a power of two for `n` to keep the balance properties. Inside a training loop
    use `unit_points("sobol", ...)`, which randomises a fixed set by a random shift
    modulo 1 (Cranley–Patterson rotation) and so stays a valid randomised QMC set.
    """
    import warnings

    from scipy.stats import qmc

    with warnings.catch_warnings():
        # scipy warns when n is not a power of two; the set is still low-discrepancy.
        warnings.simplefilter("ignore", UserWarning)
        return qmc.Sobol(d=dim, scramble=scramble, seed=seed).random(n)


def unit_points(method: Method, key: PRNGKeyArray, n: int, dim: int) -> Float[Array, "n dim"]:
    """`n` points in the unit cube by `uniform`, `lhs`, `sobol` or `grid` (jit-safe).

    `sobol` takes a fixed scrambled Sobol set (built once, at trace time) and shifts it
    by a random vector modulo 1. `grid` is a regular tensor grid (n must be a perfect
    power of dim) shifted randomly within one cell.
    """
    if method not in _METHODS:
        raise ValueError(f"unknown sampling method {method!r}; choose one of {_METHODS}.")
    if n < 1:
        raise ValueError(f"the number of points must be >= 1, got {n}.")
    if method == "uniform":
        return jax.random.uniform(key, (n, dim))
    if method == "lhs":
        return latin_hypercube(key, n, dim)
    shift = jax.random.uniform(key, (dim,))
    if method == "sobol":
        base = jnp.asarray(sobol_points(n, dim, seed=0), dtype=shift.dtype)
        return jnp.mod(base + shift, 1.0)
    per_axis = round(n ** (1 / dim))
    if per_axis**dim != n:
        raise ValueError(f"grid sampling needs n = k**dim points, got n={n} for dim={dim}.")
    axis = (jnp.arange(per_axis, dtype=shift.dtype) + 0.5) / per_axis
    grid = jnp.stack(jnp.meshgrid(*([axis] * dim), indexing="ij"), -1).reshape(-1, dim)
    return jnp.mod(grid + (shift - 0.5) / per_axis, 1.0)


class CollocationSampler(AbstractSampler):
    r"""Redraws PINN collocation points every step, inside the jitted training loop.

    Each step the batch is a dict of point sets:
    `{"interior": (n_interior, dim), "boundary": (n_boundary, dim), "initial": (n_initial, dim)}`
    (`initial` only for a `TimeDomain`; sets of size 0 are left out). Fresh points every
    step act as a stochastic estimate of the integral residual and avoid overfitting
    to a fixed point cloud.

    **Arguments:**

    - `domain`: any domain.
    - `n_interior`, `n_boundary`, `n_initial`: points per set.
    - `method`: `uniform`, `lhs`, `sobol` (randomly shifted) or `grid`.
    - `resample`: if `False`, one set is drawn at `init` and reused every step.
    - `resample_until`: resample for this many steps, then keep the last set fixed
      (an L-BFGS phase after Adam needs a fixed loss function).

    **Example:**

    ```python
    sampler = CollocationSampler(TimeDomain(Interval(-1, 1), 0, 1), 2540, 160, 80)
    result = fit(model, loss_fn, config.train, key=key, sampler=sampler)
    ```
    """

    domain: AbstractDomain
    n_interior: int = eqx.field(static=True)
    n_boundary: int = eqx.field(static=True)
    n_initial: int = eqx.field(static=True)
    method: str = eqx.field(static=True)
    resample: bool = eqx.field(static=True)
    resample_until: int | None = eqx.field(static=True)

    def __init__(
        self,
        domain: AbstractDomain,
        n_interior: int,
        n_boundary: int = 0,
        n_initial: int = 0,
        method: Method = "uniform",
        resample: bool = True,
        resample_until: int | None = None,
    ):
        if method not in _METHODS:
            raise ValueError(f"unknown sampling method {method!r}; choose one of {_METHODS}.")
        if n_initial and not isinstance(domain, TimeDomain):
            raise ValueError(
                f"n_initial={n_initial} needs a TimeDomain, got {type(domain).__name__}; "
                "wrap the spatial domain as TimeDomain(space, t0, t1)."
            )
        if min(n_interior, n_boundary, n_initial) < 0:
            raise ValueError("point counts must be >= 0.")
        self.domain = domain
        self.n_interior, self.n_boundary, self.n_initial = n_interior, n_boundary, n_initial
        self.method, self.resample = method, resample
        self.resample_until = resample_until

    def _draw(self, key):
        dim = self.domain.dim
        ki, kb, k0 = jax.random.split(key, 3)
        batch = {}
        if self.n_interior:
            batch["interior"] = self.domain.from_unit(
                unit_points(self.method, ki, self.n_interior, dim)
            )
        if self.n_boundary:
            # Boundary sets are low-dimensional; uniform is fine and keeps any n valid.
            method = "uniform" if self.method == "grid" else self.method
            batch["boundary"] = self.domain.boundary_from_unit(
                unit_points(method, kb, self.n_boundary, dim)
            )
        if self.n_initial:
            method = "uniform" if self.method == "grid" else self.method
            batch["initial"] = self.domain.initial_from_unit(
                unit_points(method, k0, self.n_initial, dim)
            )
        return batch

    def init(self, key):
        if not self.resample:
            return self._draw(key)
        if self.resample_until is not None:
            return {"count": jnp.zeros((), jnp.int32), "batch": self._draw(key)}
        return None

    def fixed_from(self, step: int) -> bool:
        if not self.resample:
            return True
        return self.resample_until is not None and step >= self.resample_until

    def sample(self, state, key):
        if not self.resample:
            return state, state
        if self.resample_until is None:
            return self._draw(key), state
        fresh = state["count"] < self.resample_until
        batch = jax.tree.map(
            lambda new, old: jnp.where(fresh, new, old), self._draw(key), state["batch"]
        )
        return batch, {"count": state["count"] + 1, "batch": batch}


def rad_select(
    key: PRNGKeyArray,
    candidates: Float[Array, "m dim"],
    residual: Float[Array, " m"],
    n: int,
    *,
    k: float = 1.0,
    c: float = 1.0,
) -> Float[Array, "n dim"]:
    r"""Residual-based adaptive distribution (RAD): draw points where the residual is large.

    Samples `n` of the candidate points (with replacement) with probability

    $$p(x) \propto \frac{|r(x)|^k}{\mathbb{E}|r|^k} + c,$$

    so `c` keeps a uniform floor and `k` sharpens the focus. Jit-safe.

    **Arguments:**

    - `key`: a `jax.random` key.
    - `candidates`: a dense uniform pool of points, `(m, dim)`.
    - `residual`: the PDE residual at each candidate, `(m,)` (gradients are stopped).
    - `n`: points to return.
    - `k`, `c`: the shape parameters (Wu et al. recommend `k = 1, c = 1`).

    **Reference:** Wu et al., "A comprehensive study of non-adaptive and residual-based
    adaptive sampling for physics-informed neural networks", CMAME 403 (2023).
    """
    density = jnp.abs(jax.lax.stop_gradient(residual)) ** k
    density = density / jnp.mean(density) + c
    index = jax.random.categorical(key, jnp.log(density), shape=(n,))
    return candidates[index]


def rar_refine(
    points: Float[Array, "n dim"],
    candidates: Float[Array, "m dim"],
    residual: Float[Array, " m"],
    n_add: int,
) -> Float[Array, "n+n_add dim"]:
    r"""Residual-based adaptive refinement (RAR): add the `n_add` worst candidates.

    Returns `points` with the `n_add` candidates of largest $|r|$ appended (greedy RAR
    of Lu et al., DeepXDE). The point count grows, so call it between training chunks.
    """
    worst = jax.lax.top_k(jnp.abs(jax.lax.stop_gradient(residual)), n_add)[1]
    return jnp.concatenate([points, candidates[worst]], axis=0)
