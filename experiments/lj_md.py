"""Lennard-Jones NVE at density 0.8 (jax-md's potential defaults): throughput, drift, g(r)."""

import time
from dataclasses import dataclass

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.atoms import (
    ExtXYZWriter,
    PeriodicSpace,
    lennard_jones,
    neighbor_list,
    radial_distribution,
)
from sciml_jax.config import spec
from sciml_jax.sim import nve, simulate
from sciml_jax.viz import plot_md_energies, plot_rdf
from sciml_jax.workflow import experiment_config

DESCRIPTION = "LJ NVE (sigma=eps=1, switch 2.0-2.5) from a simple-cubic start, extxyz frames"


@dataclass(frozen=True)
class ProblemConfig:
    n_side: int = spec(16, ge=2, doc="simple-cubic lattice n_side^3 particles")
    density: float = spec(0.8, gt=0.0, doc="number density (sigma^-3)")
    kT: float = spec(1.0, gt=0.0, doc="Maxwell-Boltzmann temperature of the start")
    dt: float = spec(0.005, gt=0.0, doc="time step (tau)")
    steps: int = spec(10_000, ge=1, doc="NVE steps")
    frame_every: int = spec(100, ge=1, doc="steps per chunk, record and extxyz frame")
    skin: float = spec(0.5, ge=0.0, doc="neighbour-list skin (jax-md's dr_threshold)")
    rdf_bins: int = spec(100, ge=10, doc="g(r) shells up to r_cutoff")


Config = experiment_config(problem=ProblemConfig)


def simple_cubic(n_side, density):
    box = (n_side**3 / density) ** (1.0 / 3.0)
    g = np.arange(n_side)
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    return jnp.asarray(grid * (box / n_side), dtype=float), box


def run(config: Config, run) -> dict:
    p = config.problem
    positions, box = simple_cubic(p.n_side, p.density)
    n = positions.shape[0]
    space = PeriodicSpace.orthorhombic(jnp.full(3, box, dtype=positions.dtype))
    energy_fn = lennard_jones(space)  # jax-md's defaults: r_onset 2.0, r_cutoff 2.5
    nbrs = neighbor_list(space, positions, 2.5, skin=p.skin)
    init_fn, apply_fn = nve(energy_fn, space, p.dt)
    state = init_fn(jr.key(config.seed), positions, kT=p.kT, neighbors=nbrs)
    pe0, ke0 = float(state.potential_energy), float(state.kinetic_energy)
    e0 = pe0 + ke0
    frames = ExtXYZWriter(run.path / "trajectory.extxyz", np.full(n, 18))  # argon

    def write(s, row):
        frames.write(
            s.positions, space, energy=s.potential_energy, forces=s.forces, step=row["step"]
        )

    write(state, {"step": 0})
    start = time.perf_counter()
    with frames:
        state, records = simulate(
            apply_fn, state, p.steps, space=space, chunk_size=p.frame_every, on_chunk=write
        )
    wall = time.perf_counter() - start
    # Throughput without the first chunk (compilation).
    timed = records["seconds"][1:].sum() if len(records["seconds"]) > 1 else wall
    timed_steps = p.steps - (p.frame_every if len(records["seconds"]) > 1 else 0)
    drift = float(np.max(np.abs(records["total_energy"] - e0)) / abs(e0))
    r, g = radial_distribution(state.positions, space, r_max=2.5, bins=p.rdf_bins, neighbors=None)
    t = np.concatenate([[0.0], records["step"] * p.dt])

    def per_particle(name, first):
        return np.concatenate([[first], records[name]]) / n

    run.save_figure(
        plot_md_energies(
            t,
            per_particle("potential_energy", pe0),
            per_particle("kinetic_energy", ke0),
            per_particle("total_energy", e0),
            title=f"LJ NVE, N={n}, density {p.density}, dt={p.dt}",
        ),
        "energy",
    )
    run.save_figure(plot_rdf({f"t = {p.steps * p.dt:g}": (r, g)}), "rdf")
    run.save_npz("rdf", r=np.asarray(r), g=np.asarray(g))
    run.save_npz("energies", **{k: np.asarray(v) for k, v in records.items()})
    return {
        "nve_steps_per_s": timed_steps / timed,
        "energy_drift": drift,
        "energy_drift_definition": "max_t |E(t)-E(0)|/|E(0)| at every frame",
        "rebuilds_per_100_steps": 100.0 * float(records["rebuilds"].sum()) / p.steps,
        "final_temperature": float(records["temperature"][-1]),
        "n_particles": int(n),
        "frames": int(len(records["step"]) + 1),
        "dtype": str(state.positions.dtype),
    }
