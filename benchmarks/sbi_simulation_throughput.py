"""Simulations per second of the sbibm ODE tasks, Lotka-Volterra and SIR, vmapped and jitted.

Each task's `simulate_batch` (the diffrax Dopri5 solve of `simulate` vmapped over a batch
of prior draws, plus the observation noise) is jitted once per batch size; after a
compile-and-warm-up call, `--repeats` timed calls on fresh keys and fresh prior draws
give the rate. Under vmap the adaptive solver advances every batch member until the
slowest is done, so the rate is that of the stiffest draws in the batch. Prints one JSON
line.

Run: `python benchmarks/sbi_simulation_throughput.py [--batch 10000] [--repeats 3]`.
"""

import argparse
import json
import os
import platform
import time

import jax
import jax.random as jr
import numpy as np

from sciml_jax.inference import get_task


def simulations_per_second(name: str, batch: int, repeats: int) -> dict:
    task = get_task(name)
    simulate = jax.jit(task.simulate_batch)
    theta = task.prior.sample(jr.key(0), (batch,))
    start = time.perf_counter()
    jax.block_until_ready(simulate(theta, key=jr.key(1)))
    compile_seconds = time.perf_counter() - start
    seconds, finite = [], []
    for r in range(repeats):
        theta = task.prior.sample(jr.key(10 + r), (batch,))
        start = time.perf_counter()
        x = jax.block_until_ready(simulate(theta, key=jr.key(100 + r)))
        seconds.append(time.perf_counter() - start)
        finite.append(float(np.mean(np.all(np.isfinite(np.asarray(x)), axis=1))))
    best = min(seconds)
    return {
        f"{name}_simulations_per_second": batch / best,
        f"{name}_seconds_per_batch": seconds,
        f"{name}_compile_and_first_call_seconds": compile_seconds,
        f"{name}_finite_fraction": float(np.mean(finite)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    record = {
        "benchmark": "sbi_simulation_throughput",
        "batch": args.batch,
        "repeats": args.repeats,
        "backend": jax.default_backend(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
    }
    for name in ("lotka_volterra", "sir"):
        record.update(simulations_per_second(name, args.batch, args.repeats))
    print(json.dumps(record))


if __name__ == "__main__":
    main()
