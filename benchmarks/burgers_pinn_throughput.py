"""Training throughput of the Burgers PINN step through the real engine (`fit`).

The setup of the DeepXDE Burgers example: a 3x20 tanh MLP, 2540 residual points,
80 boundary + 160 initial points, Adam at lr 1e-3, float32. Prints one JSON line per
variant: how derivatives are taken (forward mode as in `Burgers.residual`, or nested
reverse mode for comparison), how the points are batched (`columns`: all points at once
as columns, `residual_loss(..., vectorize=True)`, or `vmap` per point) and whether the
points are fixed or redrawn every step inside the jitted loop.
Ratios between variants are within this one run.

Run: `python benchmarks/burgers_pinn_throughput.py [--steps 3000] [--chunk 500]`.
"""

import argparse
import json
import platform
import time

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.losses import dirichlet_loss, residual_loss
from sciml_jax.nn import MLP
from sciml_jax.pde import Burgers
from sciml_jax.sampling import CollocationSampler
from sciml_jax.train import fit

NU = 0.01 / np.pi


def reverse_mode_residual(u, p):
    # The textbook way: reverse-mode gradient, then reverse mode again for u_xx.
    gradient = jax.grad(u)
    g = gradient(p)
    u_xx = jax.grad(lambda q: gradient(q)[0])(p)[0]
    return g[1] + u(p) * g[0] - NU * u_xx


def make_loss(residual, vectorize: bool):
    pde = Burgers(viscosity=NU)

    def loss_fn(model, batch, key):
        return {
            "residual": residual_loss(residual, model, batch["interior"], vectorize=vectorize),
            "initial": dirichlet_loss(model, batch["initial"], pde.initial, vectorize=vectorize),
            "boundary": dirichlet_loss(model, batch["boundary"], pde.boundary, vectorize=vectorize),
        }

    return loss_fn


def measure(residual_name: str, batching: str, resample: bool, steps: int, chunk: int) -> dict:
    residual = (
        Burgers(viscosity=NU).residual if residual_name == "forward" else reverse_mode_residual
    )
    sampler = CollocationSampler(
        TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0), 2540, 80, 160, resample=resample
    )
    model = MLP(2, "scalar", 20, 3, "tanh", key=jr.key(0))
    config = TrainConfig(
        steps=steps,
        chunk_size=chunk,
        checkpoint_every=steps,
        progress=False,
        optimizer=OptimizerConfig(name="adam", learning_rate=1e-3),
    )
    start = time.perf_counter()
    result = fit(
        model, make_loss(residual, batching == "columns"), config, key=jr.key(1), sampler=sampler
    )
    wall = time.perf_counter() - start
    # The first chunk includes compilation; the rest is steady state.
    rates = [record["steps_per_s"] for record in result.history[1:]]
    return {
        "benchmark": "burgers_pinn_throughput",
        "derivatives": residual_name,
        "batching": batching,
        "points": "resampled" if resample else "fixed",
        "network": "3x20 tanh",
        "n_residual": 2540,
        "n_boundary_initial": 240,
        "steps": steps,
        "steps_per_s": float(np.median(rates)),
        "steps_per_s_best_chunk": float(np.max(rates)),
        "wall_time_s": wall,
        "final_loss": result.history[-1]["loss"],
        "device": f"{jax.devices()[0].platform} ({platform.processor() or platform.machine()})",
        "dtype": str(jnp.zeros(()).dtype),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument(
        "--variants",
        default="forward:columns:fixed,forward:columns:resampled,forward:vmap:fixed,"
        "reverse:vmap:fixed",
        help="comma-separated derivatives:batching:points, derivatives in forward|reverse, "
        "batching in columns|vmap, points in fixed|resampled",
    )
    args = parser.parse_args()
    rows = []
    for variant in args.variants.split(","):
        residual_name, batching, points = variant.split(":")
        row = measure(residual_name, batching, points == "resampled", args.steps, args.chunk)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if len(rows) > 1:
        base = rows[0]["steps_per_s"]
        print(
            json.dumps(
                {
                    "benchmark": "burgers_pinn_throughput_ratios",
                    **{
                        f"{r['derivatives']}:{r['batching']}:{r['points']}": r["steps_per_s"] / base
                        for r in rows
                    },
                }
            )
        )


if __name__ == "__main__":
    main()
