"""The DeepONet diffusion-reaction data set (Lu et al. 2021): GP sources and the solutions of
`sciml_jax.sim.solve_diffusion_reaction` on a space-time grid."""

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ..sim import solve_diffusion_reaction
from ._antiderivative import sample_rbf_function
from ._cache import cached_dataset, generate_in_batches


def diffusion_reaction_dataset(
    num_functions: int,
    *,
    num_sensors: int = 100,
    num_x: int = 101,
    num_t: int = 101,
    length_scale: float = 0.2,
    diffusivity: float = 0.01,
    reaction: float = 0.01,
    refine_x: int = 4,
    substeps: int = 4,
    num_features: int = 512,
    seed: int = 0,
    batch_size: int = 100,
    cache_dir=None,
    use_cache: bool = True,
) -> dict[str, np.ndarray]:
    """DeepONet diffusion-reaction data: GRF sources and the solutions on a space-time grid.

    $$ s_t = D s_{xx} + k s^2 + u(x), \\quad s(x, 0) = 0, \\quad s(0, t) = s(1, t) = 0,
       \\quad u \\sim \\mathcal{GP}(0, e^{-|x - x'|^2 / 2 l^2}) $$

    The source is a random-feature sample of the GP (`sample_rbf_function`, the same family
    as the antiderivative set), a function of x, so the sensors and the fine solver grid read
    the same ``u`` exactly. The solver grid is `refine_x` times finer than the output grid
    in x and takes `substeps` steps per output time interval; the output is the solution at
    the coarse grid points (a subsample, no interpolation).

    **Arguments:**

    - `num_functions`: number of sources.
    - `num_sensors`: m, sensors ``x_i = i / (m - 1)`` where the branch reads ``u``.
    - `num_x`, `num_t`: output grid ``x_j = j / (num_x - 1)``, ``t_n = n / (num_t - 1)``.
    - `length_scale`, `num_features`: the GP and its feature count.
    - `diffusivity`, `reaction`: D and k.
    - `refine_x`, `substeps`: solver resolution relative to the output grid.
    - `seed`, `batch_size` (sources per jitted solve); `cache_dir`, `use_cache`: see
      `cached_dataset`.

    **Returns:** dict with ``u: (N, m)`` sensor values, ``sensors: (m,)``, ``x: (num_x,)``,
    ``t: (num_t,)`` and ``s: (N, num_t, num_x)`` (boundary columns zero, first row zero).

    ```python
    data = diffusion_reaction_dataset(1000)      # 1000 sources, s on a 101 x 101 grid
    ```
    """
    for name, value, low in (
        ("num_functions", num_functions, 1),
        ("num_sensors", num_sensors, 2),
        ("num_x", num_x, 3),
        ("num_t", num_t, 2),
        ("refine_x", refine_x, 1),
        ("substeps", substeps, 1),
    ):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"{name}={value!r}; expected an int >= {low}.")
    recipe = {
        "name": "diffusion_reaction",
        "version": 1,
        "num_functions": num_functions,
        "num_sensors": num_sensors,
        "num_x": num_x,
        "num_t": num_t,
        "length_scale": length_scale,
        "diffusivity": diffusivity,
        "reaction": reaction,
        "refine_x": refine_x,
        "substeps": substeps,
        "num_features": num_features,
        "seed": seed,
        "dtype": str(jnp.zeros(()).dtype),
    }
    num_interior = refine_x * (num_x - 1) - 1
    x_fine = jnp.arange(1, num_interior + 1) / (num_interior + 1)
    sensors = jnp.linspace(0.0, 1.0, num_sensors)
    # the output's interior points sit at every refine_x-th fine point
    take = refine_x * jnp.arange(1, num_x - 1) - 1

    def one(key):
        u, _ = sample_rbf_function(key, length_scale, num_features)
        fine = solve_diffusion_reaction(
            u(x_fine),
            num_points=num_interior,
            num_steps=(num_t - 1) * substeps,
            save_every=substeps,
            diffusivity=diffusivity,
            reaction=reaction,
        )
        s = jnp.pad(fine[:, take], ((0, 0), (1, 1)))
        return {"u": u(sensors), "s": s}

    def build():
        keys = jr.split(jr.key(seed), num_functions)
        arrays = generate_in_batches(
            one, keys, min(batch_size, num_functions), desc="diffusion-reaction"
        )
        return {
            **arrays,
            "sensors": np.asarray(sensors),
            "x": np.linspace(0.0, 1.0, num_x),
            "t": np.linspace(0.0, 1.0, num_t),
        }

    return cached_dataset(recipe, build, cache_dir=cache_dir, use_cache=use_cache)
