"""The DeepONet antiderivative benchmark (Lu et al. 2021), with exact targets.

Operator: ``G(u)(y) = s(y) = int_0^y u(t) dt`` on ``[0, 1]``. The input functions are drawn
from a Gaussian process with the RBF kernel ``exp(-|x - x'|^2 / (2 l^2))``, ``l = 0.2``,
represented by random Fourier features

    u(x) = sqrt(2 / F) sum_f a_f cos(w_f x + b_f),  a ~ N(0,1), w ~ N(0, 1/l^2), b ~ U(0, 2 pi),

whose covariance tends to the RBF kernel as F grows (Rahimi & Recht 2007). Each feature
integrates in closed form, so the targets are exact (no quadrature error to learn):

    int_0^y cos(w t + b) dt = y cos(b + w y / 2) sinc(w y / (2 pi)),

the ``sinc`` form staying accurate as ``w -> 0``.
"""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import PRNGKeyArray

from ._cache import cached_dataset

__all__ = ["sample_rbf_function", "antiderivative_dataset"]


def sample_rbf_function(key: PRNGKeyArray, length_scale: float = 0.2, num_features: int = 512):
    """One random function ``u`` and its exact antiderivative ``s`` (both callables)."""
    ka, kw, kb = jr.split(key, 3)
    a = jr.normal(ka, (num_features,))
    w = jr.normal(kw, (num_features,)) / length_scale
    b = jr.uniform(kb, (num_features,), maxval=2 * jnp.pi)
    amp = jnp.sqrt(2.0 / num_features)

    def u(x):
        return amp * jnp.cos(jnp.multiply.outer(x, w) + b) @ a

    def s(y):
        wy = jnp.multiply.outer(y, w)
        return amp * (y[..., None] * jnp.cos(b + wy / 2) * jnp.sinc(wy / (2 * jnp.pi))) @ a

    return u, s


def antiderivative_dataset(
    num_functions: int,
    *,
    num_sensors: int = 100,
    num_points: int = 100,
    length_scale: float = 0.2,
    num_features: int = 512,
    query: Literal["grid", "random"] = "grid",
    seed: int = 0,
    cache_dir=None,
    use_cache: bool = True,
) -> dict[str, np.ndarray]:
    """DeepONet antiderivative data in the aligned (Cartesian-product) layout.

    $$ s(y) = \\int_0^y u(t)\\,dt, \\qquad u \\sim \\mathcal{GP}(0, e^{-|x-x'|^2/2l^2}) $$

    **Arguments:**

    - `num_functions`: number of input functions.
    - `num_sensors`: m, sensors ``x_i = i / (m - 1)`` where the branch reads ``u``.
    - `num_points`: query points per function: ``y_j = j / (P - 1)`` shared by all
      functions (`query="grid"`, the aligned layout), or P uniform random points drawn
      for each function (`query="random"`, the unaligned layout of the paper's 10k
      triples, which shows the trunk many more distinct y).
    - `length_scale`, `num_features`: the GP and its feature count.
    - `seed`: randomness; `cache_dir`, `use_cache`: see `cached_dataset`.

    **Returns:** dict with ``u: (N, m)`` sensor values, ``y: (P, 1)`` (grid) or
    ``(N, P, 1)`` (random) query points and ``s: (N, P)`` exact antiderivatives;
    ``num_functions * num_points`` training triples.

    ```python
    train = antiderivative_dataset(100, seed=0)    # 10,000 triples (u, y, s(y))
    ```
    """
    if query not in ("grid", "random"):
        raise ValueError(f"query={query!r}; expected 'grid' or 'random'.")
    if (
        num_functions < 1
        or num_sensors < 2
        or num_points < 1
        or (query == "grid" and num_points < 2)
    ):
        raise ValueError(
            f"num_functions={num_functions}, num_sensors={num_sensors}, num_points={num_points}; "
            "expected at least 1 function and 2 sensors/points."
        )
    recipe = {
        "name": "antiderivative",
        "version": 1,
        "num_functions": num_functions,
        "num_sensors": num_sensors,
        "num_points": num_points,
        "length_scale": length_scale,
        "num_features": num_features,
        "seed": seed,
        "query": query,
    }
    sensors = jnp.linspace(0.0, 1.0, num_sensors)
    y = jnp.linspace(0.0, 1.0, num_points)

    def one(key):
        fkey, ykey = jr.split(key)
        u, s = sample_rbf_function(fkey, length_scale, num_features)
        points = y if query == "grid" else jr.uniform(ykey, (num_points,))
        return u(sensors), points, s(points)

    def build():
        keys = jr.split(jr.key(seed), num_functions)
        u_values, points, s_values = jax.jit(jax.vmap(one))(keys)
        points = points[0][:, None] if query == "grid" else points[..., None]
        return {"u": u_values, "y": points, "s": s_values, "sensors": np.asarray(sensors)}

    return cached_dataset(recipe, build, cache_dir=cache_dir, use_cache=use_cache)
