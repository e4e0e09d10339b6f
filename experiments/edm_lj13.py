"""E(3)-equivariant diffusion (EDM-style) for 13-atom Lennard-Jones clusters.

Data: decorrelated frames of LJ13 in free space from vmapped BAOAB Langevin chains at
`data.kT`, started at the relaxed Mackay icosahedron, centre of mass removed.
Model: an EGNN noise network in the zero-centre-of-mass subspace, VP SDE, epsilon loss
(positions scaled to unit per-coordinate spread for training). Samples from the reverse
SDE and the probability-flow ODE are scored by their LJ energies against MD's:
Wasserstein-1 distance of the energy distributions (beside the same distance between two
disjoint halves of the MD chains: the sampling-noise floor), the fraction of samples with
an unphysical overlap (a pair closer than `sample.overlap_distance`), and the trained
network's worst relative equivariance error over random O(3) x S_13 x translations."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from scipy.optimize import minimize
from scipy.stats import wasserstein_distance

from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.data import (
    LJ13_GLOBAL_MINIMUM,
    icosahedron13,
    langevin_cluster_frames,
    lj_cluster_energy,
)
from sciml_jax.inference import (
    VPSDE,
    EquivariantNoise,
    equivariance_error,
    sample_zero_com,
    zero_com_dsm_loss,
)
from sciml_jax.nn import EGNN
from sciml_jax.sampling import MinibatchSampler
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_cluster_histograms, plot_history

DESCRIPTION = "EDM (EGNN, VP SDE) on LJ13 from Langevin MD; sample energies vs MD, equivariance"


@dataclass(frozen=True)
class DataConfig:
    kT: float = spec(0.2, gt=0.0, doc="reduced temperature; LJ13 melts near 0.3")
    num_chains: int = spec(128, ge=2, doc="independent Langevin chains (vmapped)")
    frames_per_chain: int = spec(32, ge=1)
    stride: int = spec(600, ge=1, doc="MD steps between frames (energy decorrelation)")
    burn_in: int = spec(4000, ge=0)
    dt: float = spec(0.005, gt=0.0)
    gamma: float = spec(1.0, gt=0.0, doc="Langevin friction (1 / tau)")
    escape_radius: float = spec(3.0, gt=0.0, doc="an atom farther from the centre: evaporated")
    batch_size: int = spec(64, ge=1)


@dataclass(frozen=True)
class ModelConfig:
    hidden_size: int = spec(32, ge=1)
    num_layers: int = spec(4, ge=1)
    coord_range: float = spec(5.0, gt=0.0, doc="bound of each layer's coordinate weights")
    beta_min: float = spec(0.1, gt=0.0)
    beta_max: float = spec(20.0, gt=0.0)
    t_min: float = spec(1e-3, gt=0.0, lt=1.0, doc="smallest training and sampling time")


@dataclass(frozen=True)
class SampleConfig:
    num_samples: int = spec(512, ge=2)
    sde_steps: int = spec(300, ge=1, doc="Euler-Maruyama steps of the reverse SDE")
    ode: bool = spec(True, doc="also sample by the probability-flow ODE")
    ode_rtol: float = spec(1e-4, gt=0.0)
    ode_atol: float = spec(1e-4, gt=0.0)
    overlap_distance: float = spec(0.8, gt=0.0, doc="a pair closer than this is unphysical")
    equivariance_transforms: int = spec(256, ge=1, doc="random transforms per checked time")


Config = wf.experiment_config(data=DataConfig, model=ModelConfig, sample=SampleConfig)


def _relaxed_icosahedron(energy_fn):
    """The icosahedron relaxed to its minimum by L-BFGS (scipy, float64 on the host)."""
    value_and_grad = jax.jit(jax.value_and_grad(energy_fn))
    start = icosahedron13()

    def fun(flat):
        e, g = value_and_grad(jnp.asarray(flat.reshape(start.shape), start.dtype))
        return float(e), np.asarray(g, np.float64).ravel()

    result = minimize(fun, np.asarray(start, np.float64).ravel(), jac=True, method="L-BFGS-B")
    relaxed = jnp.asarray(result.x.reshape(start.shape), start.dtype)
    return relaxed, float(energy_fn(relaxed))


def _pair_distances(positions):
    i, j = np.triu_indices(positions.shape[1], 1)
    return np.linalg.norm(positions[:, i] - positions[:, j], axis=-1)


def run(config: Config, run: RunDir) -> dict:
    d, m, s = config.data, config.model, config.sample
    md_key, model_key, train_key, sde_key, ode_key, eq_key = jr.split(jr.key(config.seed), 6)
    energy_fn = lj_cluster_energy()
    start, minimum_energy = _relaxed_icosahedron(energy_fn)
    md = langevin_cluster_frames(
        energy_fn,
        start,
        kT=d.kT,
        key=md_key,
        num_chains=d.num_chains,
        frames_per_chain=d.frames_per_chain,
        stride=d.stride,
        burn_in=d.burn_in,
        dt=d.dt,
        gamma=d.gamma,
        escape_radius=d.escape_radius,
    )
    positions, md_energy = md["positions"], md["potential_energy"]
    n_atoms = positions.shape[1]
    scale = 1.0 / float(np.sqrt(np.sum(positions**2) / (positions.shape[0] * (n_atoms - 1) * 3)))

    sde = VPSDE(m.beta_min, m.beta_max)
    egnn = EGNN(2, m.hidden_size, m.num_layers, coord_range=m.coord_range, key=model_key)
    model = EquivariantNoise(egnn, sde)
    sampler = MinibatchSampler(
        {"positions": jnp.asarray(positions * scale, jnp.zeros(()).dtype)},
        batch_size=d.batch_size,
    )
    result = fit(
        model,
        zero_com_dsm_loss(sde, t_min=m.t_min),
        config.train,
        key=train_key,
        sampler=sampler,
        run=run,
    )
    eps_model = result.model

    draws = {
        "reverse SDE": sample_zero_com(
            eps_model,
            sde,
            n_atoms,
            s.num_samples,
            key=sde_key,
            num_steps=s.sde_steps,
            t_min=m.t_min,
        )
    }
    if s.ode:
        draws["probability-flow ODE"] = sample_zero_com(
            eps_model,
            sde,
            n_atoms,
            s.num_samples,
            key=ode_key,
            method="ode",
            t_min=m.t_min,
            rtol=s.ode_rtol,
            atol=s.ode_atol,
        )
    draws = {name: np.asarray(x, np.float64) / scale for name, x in draws.items()}

    batch_energy = jax.jit(jax.vmap(energy_fn))
    energies = {"MD": md_energy}
    energies.update({name: np.asarray(batch_energy(jnp.asarray(x))) for name, x in draws.items()})
    distances = {"MD": _pair_distances(positions)}
    distances.update({name: _pair_distances(x) for name, x in draws.items()})

    # the noise floor: the same distance between the energies of two disjoint chain halves
    half = md["chain"] < d.num_chains // 2
    floor = wasserstein_distance(md_energy[half], md_energy[~half])
    chains = md_energy.reshape(d.frames_per_chain, d.num_chains)
    lag1 = (
        float(np.corrcoef(chains[:-1].ravel(), chains[1:].ravel())[0, 1])
        if len(chains) > 1
        else float("nan")
    )

    # equivariance of the trained network, in float32, at data points across noise levels
    dtype = jnp.zeros(()).dtype
    frame = jnp.asarray(positions[0] * scale, dtype)
    eq_errors = {}
    for i, t in enumerate((m.t_min, 0.1, 0.5, 1.0)):
        x_t, _ = sde.marginal(frame, t, key=jr.fold_in(eq_key, i))
        x_t = x_t - jnp.mean(x_t, axis=0)
        eq_errors[t] = float(
            equivariance_error(
                eps_model,
                x_t,
                jnp.asarray(t, dtype),
                key=jr.fold_in(eq_key, 1),
                num_transforms=s.equivariance_transforms,
            )
        )

    run.save_figure(
        plot_cluster_histograms(
            energies, distances, title=f"LJ13 at kT = {d.kT}: EDM samples against Langevin MD"
        ),
        "energy_histogram",
    )
    run.save_figure(plot_history(result.history, ["loss"]), "loss")
    run.save_npz("energies", **{k.replace(" ", "_"): v for k, v in energies.items()})
    run.save_npz("samples", **{k.replace(" ", "_"): v for k, v in draws.items()})

    summary = {
        "final_loss": result.history[-1]["loss"],
        "relaxed_minimum_energy": minimum_energy,
        "lj13_global_minimum": LJ13_GLOBAL_MINIMUM,
        "md_frames": int(positions.shape[0]),
        "md_energy_mean": float(md_energy.mean()),
        "md_energy_std": float(md_energy.std()),
        "md_max_radius": float(md["max_radius"].max()),
        "md_lag1_energy_correlation": lag1,
        "md_min_pair_distance": float(distances["MD"].min()),
        "energy_wasserstein1_md_halves": float(floor),
        "equivariance_error": max(eq_errors.values()),
        "equivariance_error_per_time": {str(t): e for t, e in eq_errors.items()},
        "overlap_distance": s.overlap_distance,
    }
    for name, key in (("reverse SDE", ""), ("probability-flow ODE", "_ode")):
        if name not in draws:
            continue
        e = energies[name]
        finite = np.isfinite(e)
        summary[f"energy_wasserstein1{key}"] = (
            float(wasserstein_distance(md_energy, e[finite])) if finite.any() else float("inf")
        )
        summary[f"overlap_fraction{key}"] = float(
            np.mean(distances[name].min(axis=1) < s.overlap_distance)
        )
        summary[f"sample_energy_median{key}"] = float(np.median(e))
        summary[f"sample_energy_mean{key}"] = (
            float(np.mean(e[finite])) if finite.any() else float("inf")
        )
        summary[f"nonfinite_energy_fraction{key}"] = float(1 - finite.mean())
    return summary
