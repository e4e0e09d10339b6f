"""A learned copper potential from ASE's EMT calculator: train on energies, forces and
stresses of FCC cells, strained cells, a vacancy and Langevin MD frames (300-1500 K);
score it on held-out configurations; run ASE's equation-of-state and vacancy workflows
through `SciMLCalculator` beside EMT itself; then long NVE with the learned model in our
jitted integrator, with the radial distribution against an EMT reference run.

Units are ASE's: eV, Å, amu, so one time unit is Å sqrt(amu/eV) = 10.18 fs.
"""

import time
from dataclasses import dataclass

import jax.numpy as jnp
import jax.random as jr
import numpy as np
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from ase.md.verlet import VelocityVerlet

from sciml_jax import data, potentials
from sciml_jax import workflow as wf
from sciml_jax.atoms import PeriodicSpace, neighbor_list, radial_distribution
from sciml_jax.config import spec
from sciml_jax.sim import nve, simulate
from sciml_jax.viz import plot_energy_volume, plot_md_energies, plot_parity, plot_rdf

DESCRIPTION = "Learned Cu potential from EMT: held-out errors, EOS/vacancy via ASE, long NVE"

COPPER = 29
MASS = 63.546  # amu


@dataclass(frozen=True)
class DataConfig:
    md_frames_per_temperature: int = spec(40, ge=1, doc="Langevin MD frames at each of 5 T")
    test_fraction: float = spec(0.2, gt=0.0, lt=1.0, doc="held-out configurations")
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class ModelConfig:
    kind: str = spec("painn", choices=tuple(potentials.MODELS), doc="the nn model")
    cutoff: float = spec(5.0, gt=0.0, doc="interaction range, Å")
    features: int = spec(32, ge=1)
    interactions: int = spec(2, ge=1)


@dataclass(frozen=True)
class LossConfig:
    batch_size: int = spec(4, ge=1, doc="configurations per step")
    energy_weight: float = spec(1.0, ge=0.0)
    force_weight: float = spec(1.0, ge=0.0)
    stress_weight: float = spec(0.1, ge=0.0)


@dataclass(frozen=True)
class MDConfig:
    steps: int = spec(100_000, ge=1, doc="NVE steps with the learned potential")
    dt_fs: float = spec(2.0, gt=0.0)
    temperature_K: float = spec(800.0, gt=0.0, doc="mean temperature aimed at")
    repeat: int = spec(3, ge=2, doc="cubic cells per edge (3: 108 atoms)")
    chunk_size: int = spec(500, ge=1, doc="steps per compiled chunk and per record")
    skin: float = spec(0.5, ge=0.0, doc="neighbour-list skin, Å")
    reference_steps: int = spec(5_000, ge=100, doc="EMT NVE steps (ASE) for the reference g(r)")
    rdf_bins: int = spec(80, ge=10)


@dataclass(frozen=True)
class PropertiesConfig:
    eos_points: int = spec(9, ge=5)
    eos_strain: float = spec(0.03, gt=0.0, lt=0.2, doc="± lattice-constant range of the scan")
    fmax: float = spec(0.01, gt=0.0, doc="vacancy relaxation force tolerance, eV/Å")


Config = wf.experiment_config(
    data=DataConfig, model=ModelConfig, loss=LossConfig, md=MDConfig, properties=PropertiesConfig
)


def _graphs(cu, index, cutoff):
    potential_species = np.zeros_like(cu.atomic_numbers[index])  # one element: species 0
    return potentials.build_graphs(
        cu.positions[index],
        potential_species,
        cu.node_mask[index],
        cutoff,
        cells=cu.cells[index],
        energy=cu.energy[index],
        forces=cu.forces[index],
        stress=cu.stress[index],
    )


def _hyperparameters(m: ModelConfig) -> dict:
    return {"features": m.features, "interactions": m.interactions}


def train(config, run):
    cu = data.emt_copper_dataset(
        n_md_frames_per_temperature=config.data.md_frames_per_temperature, seed=config.data.seed
    )
    split = data.emt_copper_split(
        cu, seed=config.data.seed, test_fraction=config.data.test_fraction
    )
    m = config.model
    train_set = _graphs(cu, split["train"], m.cutoff)
    test_set = _graphs(cu, split["test"], m.cutoff)
    potential = potentials.make_potential(
        m.kind, [COPPER], cutoff=m.cutoff, key=jr.key(config.seed), **_hyperparameters(m)
    )
    potential = potentials.with_statistics(potential, train_set)
    loss = config.loss
    loss_fn = potentials.energy_force_loss(
        energy_weight=loss.energy_weight,
        force_weight=loss.force_weight,
        stress_weight=loss.stress_weight,
    )
    start = time.perf_counter()
    result = potentials.train_potential(
        potential,
        train_set,
        config.train,
        key=jr.key(config.seed + 1),
        batch_size=loss.batch_size,
        loss_fn=loss_fn,
        run=run,
        validation=test_set,
    )
    train_minutes = (time.perf_counter() - start) / 60
    potential = result.model
    potentials.save_potential(run.path, potential, kind=m.kind, hyperparameters=_hyperparameters(m))
    metrics = potentials.error_metrics(potential, test_set)
    pred = potentials.predict_all(potential, test_set)
    mask = np.asarray(test_set.node_mask)
    n_atoms = mask.sum(1)
    run.save_figure(
        plot_parity(
            {
                "energy": (cu.energy[split["test"]] / n_atoms, pred["energy"] / n_atoms, "eV/atom"),
                "forces": (cu.forces[split["test"]][mask], pred["forces"][mask], "eV/Å"),
            },
            title=f"{m.kind}, held-out EMT configurations",
        ),
        "parity",
    )
    counts = {"train_configurations": len(train_set), "test_configurations": len(test_set)}
    return potential, {**metrics, **counts, "train_minutes": train_minutes}


def crystal_properties(calculators: dict, config) -> dict:
    p = config.properties
    out, scans = {}, {}
    for name, calculator in calculators.items():
        eos = potentials.equation_of_state(
            calculator, "Cu", 3.6, strain=p.eos_strain, points=p.eos_points
        )
        vacancy = potentials.vacancy_formation_energy(
            calculator, "Cu", eos["lattice_constant_A"], fmax=p.fmax
        )
        scans[name] = (eos["volumes_A3"] / 4, eos["energies_eV"] / 4)
        out[name] = {
            "lattice_constant_A": eos["lattice_constant_A"],
            "bulk_modulus_GPa": eos["bulk_modulus_GPa"],
            "vacancy_formation_eV": vacancy,
        }
    ours, emt = out["learned"], out["emt"]
    return {
        **{f"{k}_{name}": v for name, row in out.items() for k, v in row.items()},
        "lattice_constant_rel_error": abs(
            ours["lattice_constant_A"] / emt["lattice_constant_A"] - 1
        ),
        "bulk_modulus_rel_error": abs(ours["bulk_modulus_GPa"] / emt["bulk_modulus_GPa"] - 1),
        "vacancy_formation_error_eV": abs(
            ours["vacancy_formation_eV"] - emt["vacancy_formation_eV"]
        ),
    }, scans


def _start(config, a0):
    """FCC at `a0` with Maxwell-Boltzmann velocities at twice the target temperature (half
    goes into the potential energy as the lattice equilibrates), zero net momentum."""
    atoms = bulk("Cu", "fcc", a=a0, cubic=True).repeat(config.md.repeat)
    MaxwellBoltzmannDistribution(
        atoms, temperature_K=2 * config.md.temperature_K, rng=np.random.default_rng(config.seed)
    )
    Stationary(atoms)
    return atoms


def emt_reference(config, a0) -> dict:
    """ASE's velocity Verlet on EMT from the same start: the reference g(r) (last half)."""
    md = config.md
    atoms = _start(config, a0)
    atoms.calc = EMT()
    space = PeriodicSpace(jnp.asarray(atoms.cell.array))
    dyn = VelocityVerlet(atoms, timestep=md.dt_fs * units.fs)
    frames = []
    every = max(1, md.reference_steps // 50)
    for _ in range(md.reference_steps // every):
        dyn.run(every)
        frames.append(atoms.get_positions())
    half = frames[len(frames) // 2 :]
    g = [radial_distribution(jnp.asarray(f), space, r_max=5.0, bins=md.rdf_bins)[1] for f in half]
    r = radial_distribution(jnp.asarray(half[0]), space, r_max=5.0, bins=md.rdf_bins)[0]
    return {"r": np.asarray(r), "g": np.mean(np.asarray(g), axis=0)}


def learned_md(potential, config, a0, run) -> dict:
    """Our jitted NVE (velocity Verlet) with the learned potential, `md.steps` steps."""
    md = config.md
    atoms = _start(config, a0)
    dtype = potential.scale.dtype
    positions = jnp.asarray(atoms.get_positions(), dtype)
    space = PeriodicSpace(jnp.asarray(atoms.cell.array, dtype))
    species = jnp.zeros(len(atoms), jnp.int32)
    energy_fn = potential.energy_fn(species, space)
    nbrs = neighbor_list(space, positions, potential.cutoff, skin=md.skin, half=False)
    dt = md.dt_fs * units.fs  # ASE's time unit: Å sqrt(amu / eV)
    init_fn, apply_fn = nve(energy_fn, space, dt)
    momenta = jnp.asarray(atoms.get_momenta(), dtype)
    state = init_fn(None, positions, masses=MASS, momenta=momenta, neighbors=nbrs)
    pe0, ke0 = float(state.potential_energy), float(state.kinetic_energy)
    e0 = pe0 + ke0
    g_frames = []

    def record(s, row):
        if row["step"] > md.steps // 2 and len(g_frames) < 50:
            g_frames.append(radial_distribution(s.positions, space, r_max=5.0, bins=md.rdf_bins))

    start = time.perf_counter()
    state, records = simulate(
        apply_fn, state, md.steps, space=space, chunk_size=md.chunk_size, on_chunk=record
    )
    wall = time.perf_counter() - start
    finite = bool(np.all(np.isfinite(np.asarray(state.positions))))
    n = len(atoms)
    temperature = 2 * np.asarray(records["kinetic_energy"]) / (3 * (n - 1) * units.kB)
    time_ps = np.concatenate([[0.0], records["step"] * md.dt_fs / 1000])
    per_atom = lambda name, first: np.concatenate([[first], records[name]]) / n
    run.save_figure(
        plot_md_energies(
            time_ps,
            per_atom("potential_energy", pe0),
            per_atom("kinetic_energy", ke0),
            per_atom("total_energy", e0),
            title=f"learned Cu potential, NVE, {n} atoms, dt = {md.dt_fs} fs",
            energy_unit="eV",
            time_unit="ps",
        ),
        "md_energy",
    )
    drift = float(np.max(np.abs(records["total_energy"] - e0)) / n)
    r = np.asarray(g_frames[0][0])
    g = np.mean([np.asarray(f[1]) for f in g_frames], axis=0)
    return {
        "md_steps": md.steps,
        "md_all_positions_finite": finite,
        "md_energy_drift_eV_per_atom": drift,
        "md_mean_temperature_K": float(np.mean(temperature[len(temperature) // 2 :])),
        "md_steps_per_s": md.steps / wall,
        "r": r,
        "g": g,
    }


def run(config: Config, run) -> dict:
    potential, summary = train(config, run)
    learned = potentials.SciMLCalculator(potential)
    properties, scans = crystal_properties({"learned": learned, "emt": EMT()}, config)
    summary.update(properties)
    run.save_figure(plot_energy_volume(scans), "equation_of_state")
    a0 = properties["lattice_constant_A_emt"]
    reference = emt_reference(config, a0)
    md = learned_md(potential, config, a0, run)
    r, g_learned, g_emt = md.pop("r"), md.pop("g"), reference["g"]
    run.save_figure(
        plot_rdf(
            {"learned": (r, g_learned), "EMT": (reference["r"], g_emt)},
            r_unit="Å",
            title="Cu g(r), NVE",
        ),
        "rdf",
    )
    run.save_npz("rdf", r=r, g_learned=g_learned, g_emt=g_emt)
    dr = float(r[1] - r[0])
    summary.update(md)
    summary["rdf_l1_distance"] = float(np.sum(np.abs(g_learned - g_emt)) * dr)
    return summary
