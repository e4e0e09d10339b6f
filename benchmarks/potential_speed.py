"""Energy + forces per second of the learned-potential models on FCC copper, float32.

The workload of issue 18: 108 atoms (3x3x3 conventional cells) and 864 atoms (6x6x6) of
FCC Cu at a = 3.61 A, positions rattled by 0.05 A, cutoff 5 A, a full neighbour list built
once (the list is not part of the timing, as in an MD step between rebuilds). Each model
(the sizes of configs/emt_cu_potential.yaml) is timed as one jitted `value_and_grad` of the
total energy, the call a force-field MD step makes; the first call (compilation) is
excluded, then the median of `--repeats` timed blocks of `--calls` calls. Untrained
weights: the cost does not depend on their values.

    python benchmarks/potential_speed.py [--models painn,nequip,schnet] [--quick]

Prints one JSON line per (model, size) and a last JSON line with every figure.
"""

import argparse
import json
import os
import platform
import statistics
import time

import jax
import jax.random as jr
import numpy as np
from ase.build import bulk

from sciml_jax.atoms import PeriodicSpace, neighbor_list
from sciml_jax.potentials import make_potential

SIZES = {
    "painn": dict(features=32, interactions=2),
    "schnet": dict(features=32, interactions=2),
    "nequip": dict(features=16, interactions=2, l_max=2),
}
CUTOFF = 5.0


def copper(repeat: int, seed: int = 0):
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(repeat)
    rng = np.random.default_rng(seed)
    positions = atoms.positions + rng.normal(scale=0.05, size=atoms.positions.shape)
    return np.asarray(positions, np.float32), np.asarray(atoms.cell.array, np.float32)


def time_model(kind: str, repeat: int, calls: int, repeats: int) -> dict:
    positions, cell = copper(repeat)
    space = PeriodicSpace(cell)
    potential = make_potential(kind, (29,), cutoff=CUTOFF, key=jr.key(0), **SIZES[kind])
    species = np.zeros(len(positions), np.int32)
    nbrs = neighbor_list(space, positions, CUTOFF, skin=0.5, half=False)
    energy_fn = potential.energy_fn(species, space)
    step = jax.jit(jax.value_and_grad(energy_fn))
    jax.block_until_ready(step(positions, nbrs))  # compile
    blocks = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            out = step(positions, nbrs)
        jax.block_until_ready(out)
        blocks.append((time.perf_counter() - start) / calls)
    seconds = statistics.median(blocks)
    return {
        "model": kind,
        "atoms": len(positions),
        "pairs": int(np.asarray(nbrs.mask).sum()),
        "evaluations_per_s": 1.0 / seconds,
        "atom_evaluations_per_s": len(positions) / seconds,
        "ms_per_evaluation": 1e3 * seconds,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="painn,nequip,schnet")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="108 atoms, few calls (tests)")
    args = parser.parse_args()
    repeats_of = {3: 108, 6: 864}
    cells = [3] if args.quick else [3, 6]
    calls, repeats = (2, 2) if args.quick else (args.calls, args.repeats)
    rows = []
    for kind in args.models.split(","):
        for repeat in cells:
            row = time_model(kind, repeat, calls if repeat == 3 else max(2, calls // 4), repeats)
            assert row["atoms"] == repeats_of[repeat]
            print(json.dumps(row), flush=True)
            rows.append(row)
    summary = {
        f"{r['model']}_{r['atoms']}_evaluations_per_s": round(r["evaluations_per_s"], 2)
        for r in rows
    }
    summary.update(
        backend=jax.default_backend(),
        device=str(jax.devices()[0]),
        machine=platform.machine(),
        cpus=os.cpu_count(),
        load=os.getloadavg()[0],
        dtype="float32",
        date=time.strftime("%Y-%m-%d"),
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
