"""LJ NVE throughput and energy drift: ours against jax-md 0.2.29 in the same run.

The workload of issue 17: N = 4096 Lennard-Jones particles (sigma = epsilon = 1, jax-md's
defaults `r_onset = 2.0`, `r_cutoff = 2.5` with its C^1 multiplicative switch) on a
simple-cubic 16^3 lattice at density 0.8, Maxwell-Boltzmann momenta at kT = 1 (the SAME
momenta for both codes, zero net momentum), velocity Verlet at dt = 0.005, float32.

- jax-md: `energy.lennard_jones_neighbor_list` with its defaults (skin
  `dr_threshold = 0.5`, `partition.OrderedSparse`, cell list), `simulate.nve`, the
  neighbour update inside the step as its docs do, reallocation on overflow.
- ours: `sciml_jax.atoms.lennard_jones` (the same Hamiltonian; energies agree to
  float32 rounding, checked below), `neighbor_list(cutoff=2.5, skin=0.5)` (cell list,
  half list), `sciml_jax.sim.nve` driven by `simulate` in `lax.scan` chunks.

Timing: both run the same trajectory length in chunks of `--chunk` steps, the two codes
alternating chunk by chunk (order swapped every chunk), so load changes on a shared
machine hit both alike; the first chunk of each (compilation) is excluded. Force
evaluations/s time one jitted energy + forces at the start configuration, interleaved
(ours: `atoms.energy_and_forces`, the fused analytic pass the integrator uses; jax-md:
`value_and_grad`, what its `simulate.nve` does).

Energy drift: `max_t |E(t) - E(0)| / |E(0)|` over the run, E the total energy sampled
at every chunk end (every 100 steps by default), E(0) at step 0.

    python benchmarks/md_throughput.py [--steps 10000] [--chunk 100] [--quick]

The last line is JSON with `nve_steps_per_s_ratio` (ours / jax-md's).
"""

import argparse
import functools
import json
import os
import platform
import time

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.atoms import PeriodicSpace, energy_and_forces, lennard_jones, neighbor_list
from sciml_jax.sim import maxwell_boltzmann, nve, simulate


def lattice(n_side: int, density: float):
    n = n_side**3
    box = (n / density) ** (1.0 / 3.0)
    g = np.arange(n_side)
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    return jnp.asarray(grid * (box / n_side), jnp.float32), box


def drift(energies, e0):
    return float(np.max(np.abs(np.asarray(energies) - e0)) / abs(e0))


class Ours:
    def __init__(self, positions, momenta, box, dt, skin):
        self.space = PeriodicSpace.orthorhombic(jnp.full(3, box, jnp.float32))
        self.energy_fn = lennard_jones(self.space)
        nbrs = neighbor_list(self.space, positions, 2.5, skin=skin)
        init_fn, self.apply_fn = nve(self.energy_fn, self.space, dt)
        self.state = init_fn(None, positions, momenta=momenta, neighbors=nbrs)
        self.e0 = float(self.state.potential_energy + self.state.kinetic_energy)
        self.energies, self.rebuilds, self.steps, self.seconds = [], 0, 0, 0.0
        # what the integrator calls: the fused analytic pass (equal to -grad E)
        self.force = jax.jit(functools.partial(energy_and_forces, self.energy_fn))

    def force_eval(self):
        return self.force(self.state.positions, self.state.neighbors)

    def run(self, n, timed=True):
        t = time.perf_counter()
        self.state, rec = simulate(
            self.apply_fn, self.state, n, space=self.space, chunk_size=n, progress=False
        )
        jax.block_until_ready(self.state.positions)
        if timed:
            self.seconds += time.perf_counter() - t
            self.steps += n
        self.energies.append(float(rec["total_energy"][-1]))
        self.rebuilds += int(rec["rebuilds"].sum())


class JaxMD:
    def __init__(self, positions, momenta, box, dt):
        from jax_md import energy, partition, simulate, space

        displacement, shift = space.periodic(box)
        self.neighbor_fn, self.energy_fn = energy.lennard_jones_neighbor_list(
            displacement, box, format=partition.OrderedSparse
        )
        self.nbrs = self.neighbor_fn.allocate(positions)
        init_fn, apply_fn = simulate.nve(self.energy_fn, shift, dt)
        state = init_fn(jr.key(0), positions, kT=1.0, neighbor=self.nbrs)
        self.state = state.set(momentum=momenta)  # the same initial momenta as ours
        self.apply_fn = apply_fn
        self.e0 = self.total(self.state, self.nbrs)
        self.energies, self.rebuilds, self.steps, self.seconds = [], 0, 0, 0.0
        self.force = jax.jit(jax.value_and_grad(self.energy_fn))
        self.chunks = {}

    def total(self, state, nbrs):
        kinetic = 0.5 * jnp.sum(state.momentum**2 / state.mass)
        return float(self.energy_fn(state.position, nbrs) + kinetic)

    def force_eval(self):
        return self.force(self.state.position, self.nbrs)

    def chunk(self, n):
        if n not in self.chunks:

            def body(carry, _):
                state, nbrs, rebuilds = carry
                state = self.apply_fn(state, neighbor=nbrs)
                new = nbrs.update(state.position)
                moved = jnp.any(new.reference_position != nbrs.reference_position)
                return (state, new, rebuilds + moved), None

            self.chunks[n] = jax.jit(
                lambda s, nb: jax.lax.scan(body, (s, nb, jnp.int32(0)), None, length=n)[0]
            )
        return self.chunks[n]

    def run(self, n, timed=True):
        t = time.perf_counter()
        while True:  # jax-md's documented recipe: check did_buffer_overflow, reallocate
            state, nbrs, rebuilds = self.chunk(n)(self.state, self.nbrs)
            jax.block_until_ready(state.position)
            if not bool(nbrs.did_buffer_overflow):
                break
            self.nbrs = self.neighbor_fn.allocate(self.state.position)
        if timed:
            self.seconds += time.perf_counter() - t
            self.steps += n
        self.state, self.nbrs = state, nbrs
        self.energies.append(self.total(state, nbrs))
        self.rebuilds += int(rebuilds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--dt", type=float, default=0.005)
    parser.add_argument("--skin", type=float, default=0.5, help="our skin (jax-md: 0.5)")
    parser.add_argument("--force-repeats", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="600 steps, 3 force repeats")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.force_repeats = 600, 3

    positions, box = lattice(16, 0.8)
    masses = jnp.ones((positions.shape[0], 1), jnp.float32)
    momenta = maxwell_boltzmann(jr.key(0), masses, 1.0, 3)
    ours = Ours(positions, momenta, box, args.dt, args.skin)
    theirs = JaxMD(positions, momenta, box, args.dt)
    e_ours = float(ours.energy_fn(positions, ours.state.neighbors))
    e_theirs = float(theirs.energy_fn(positions, theirs.nbrs))
    assert abs(e_ours - e_theirs) <= 1e-5 * abs(e_theirs), (e_ours, e_theirs)

    load = os.getloadavg()[0]
    # Force evaluations, interleaved (after compiling both).
    codes = {"ours": ours, "jax_md": theirs}
    for code in codes.values():
        jax.block_until_ready(code.force_eval())
    force_s = {name: [] for name in codes}
    for r in range(args.force_repeats):
        for name in list(codes) if r % 2 == 0 else list(codes)[::-1]:
            t = time.perf_counter()
            jax.block_until_ready(codes[name].force_eval())
            force_s[name].append(time.perf_counter() - t)

    # Trajectories, chunk by chunk in turns; the first chunk compiles and is not timed.
    n_chunks = args.steps // args.chunk
    for k in range(n_chunks):
        for code in (ours, theirs) if k % 2 == 0 else (theirs, ours):
            code.run(args.chunk, timed=k > 0)
    loads = (load, os.getloadavg()[0])

    out = {"benchmark": "md_throughput", "n": int(positions.shape[0]), "dt": args.dt}
    out["steps"] = n_chunks * args.chunk
    for name, code in codes.items():
        out[f"{name}_nve_steps_per_s"] = code.steps / code.seconds
        out[f"{name}_force_evals_per_s"] = 1.0 / float(np.median(force_s[name]))
        out[f"{name}_rebuilds_per_100_steps"] = 100.0 * code.rebuilds / out["steps"]
        out[f"{name}_energy_drift"] = drift(code.energies, code.e0)
    out["nve_steps_per_s_ratio"] = out["ours_nve_steps_per_s"] / out["jax_md_nve_steps_per_s"]
    out["force_evals_per_s_ratio"] = out["ours_force_evals_per_s"] / out["jax_md_force_evals_per_s"]
    out["ours_skin"] = args.skin
    out["drift_definition"] = "max_t |E(t)-E(0)|/|E(0)|, E sampled every chunk"
    out["chunk"] = args.chunk
    out["loadavg_1min_start_end"] = loads
    out["machine"] = f"{platform.machine()} {os.cpu_count()} cpus, jax {jax.__version__}"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
