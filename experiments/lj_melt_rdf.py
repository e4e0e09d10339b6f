"""A small LJ FCC crystal heated by Langevin dynamics until it melts; g(r) before/after."""

from dataclasses import dataclass

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.atoms import PeriodicSpace, lennard_jones, neighbor_list, radial_distribution
from sciml_jax.config import spec
from sciml_jax.sim import nvt_langevin, simulate
from sciml_jax.viz import plot_rdf
from sciml_jax.workflow import experiment_config

DESCRIPTION = "LJ FCC crystal heated by Langevin (BAOAB) past melting; g(r) before and after"


@dataclass(frozen=True)
class ProblemConfig:
    n_cells: int = spec(4, ge=2, doc="FCC unit cells per side (4 n_cells^3 atoms)")
    density: float = spec(0.9, gt=0.0, doc="number density (sigma^-3)")
    kT: float = spec(2.0, gt=0.0, doc="thermostat temperature (above melting at 0.9)")
    gamma: float = spec(1.0, gt=0.0, doc="Langevin friction (1/tau)")
    dt: float = spec(0.005, gt=0.0, doc="time step (tau)")
    steps: int = spec(4000, ge=1, doc="Langevin steps")
    chunk: int = spec(200, ge=1, doc="steps per recorded chunk")
    r_max: float = spec(2.5, gt=0.0, doc="g(r) range (at most the list cutoff 2.5)")
    rdf_bins: int = spec(80, ge=10, doc="g(r) shells")


Config = experiment_config(problem=ProblemConfig)


def fcc(n_cells, density):
    a = (4.0 / density) ** (1.0 / 3.0)
    basis = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    g = np.arange(n_cells)
    cells = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 1, 3)
    return jnp.asarray((cells + basis).reshape(-1, 3) * a, dtype=float), n_cells * a


def run(config: Config, run) -> dict:
    p = config.problem
    positions, box = fcc(p.n_cells, p.density)
    space = PeriodicSpace.orthorhombic(jnp.full(3, box, dtype=positions.dtype))
    energy_fn = lennard_jones(space)
    nbrs = neighbor_list(space, positions, 2.5, skin=0.5)
    rdf = lambda x, nb: radial_distribution(  # noqa: E731
        x, space, r_max=p.r_max, bins=p.rdf_bins, neighbors=nb
    )
    r, g_before = rdf(positions, nbrs)
    init_fn, apply_fn = nvt_langevin(energy_fn, space, p.dt, p.kT, p.gamma)
    state = init_fn(jr.key(config.seed), positions, neighbors=nbrs)
    state, records = simulate(apply_fn, state, p.steps, space=space, chunk_size=p.chunk)
    _, g_after = rdf(state.positions, state.neighbors)
    run.save_figure(
        plot_rdf(
            {"FCC crystal (start)": (r, g_before), f"after Langevin at kT={p.kT:g}": (r, g_after)},
            title=f"LJ, N={positions.shape[0]}, density {p.density}",
        ),
        "rdf",
    )
    run.save_npz("rdf", r=np.asarray(r), before=np.asarray(g_before), after=np.asarray(g_after))
    temperature = records["temperature"]
    peak_before, peak_after = float(jnp.max(g_before)), float(jnp.max(g_after))
    # A liquid's first peak is below ~3.5; an FCC crystal's (even thermal) far above it.
    return {
        "rdf_peak_before": peak_before,
        "rdf_peak_after": peak_after,
        "melted": bool(peak_after < 3.5),
        "mean_temperature_last_half": float(np.mean(temperature[len(temperature) // 2 :])),
        "kT": p.kT,
        "n_particles": int(positions.shape[0]),
    }
