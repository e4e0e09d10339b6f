"""E(V) fit to 6 Birch–Murnaghan points under B > 0 and B' > 0 penalties, read for V0 and B0."""

import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.analysis import birch_murnaghan, eos_bulk_modulus, equilibrium_volume
from sciml_jax.config import spec
from sciml_jax.losses import data_loss, inequality_penalty
from sciml_jax.nn import MLP, EnergyVolumeMLP
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_equation_of_state, plot_history

DESCRIPTION = "E(V) network fit to 6 Birch-Murnaghan points; B > 0 and B' > 0 penalties; V0, B0"


@dataclass(frozen=True)
class ProblemConfig:
    e0: float = spec(-3.7, doc="eV")
    v0: float = spec(11.8, gt=0.0, doc="equilibrium volume, A^3")
    b0: float = spec(0.88, gt=0.0, doc="bulk modulus, eV/A^3 (~141 GPa)")
    b0_prime: float = spec(5.0, gt=0.0)
    n_data: int = spec(6, ge=3)
    volume_span: float = spec(0.1, gt=0.0, lt=0.5, doc="data in V0 (1 +- span)")
    n_penalty: int = spec(256, ge=2)
    penalty_weight: float = spec(1.0, gt=0.0)
    width: int = spec(8, ge=1)
    depth: int = spec(2, ge=1)


Config = workflow.experiment_config(problem=ProblemConfig)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    truth = (problem.e0, problem.v0, problem.b0, problem.b0_prime)
    span = problem.volume_span
    volumes = problem.v0 * jnp.linspace(1 - span, 1 + span, problem.n_data)
    energies = birch_murnaghan(volumes, *truth)
    v_ref = float(jnp.mean(volumes))
    net = MLP(1, "scalar", problem.width, problem.depth, key=jr.key(config.seed))
    model = EnergyVolumeMLP(net, v_ref, span, float(jnp.mean(energies)), float(jnp.std(energies)))
    wide = v_ref * jnp.linspace(1 - 1.5 * span, 1 + 1.5 * span, problem.n_penalty)
    batch = {"volumes": volumes[:, None], "energies": energies, "grid": wide}
    b_scale = problem.b0

    def loss_fn(model, batch, key):
        energy = lambda v: model(v[0])  # noqa: E731
        b = jax.vmap(lambda v: eos_bulk_modulus(model, v))(batch["grid"])
        db_dv = jax.vmap(jax.grad(lambda v: eos_bulk_modulus(model, v)))(batch["grid"])
        return {
            "data": data_loss(energy, batch["volumes"], batch["energies"]) / model.e_scale**2,
            # Mechanical stability: B > 0 everywhere.
            "bulk_modulus": problem.penalty_weight * inequality_penalty(b / b_scale),
            # Pressure stiffens under compression: B' = dB/dP > 0, i.e. dB/dV < 0.
            "pressure": problem.penalty_weight * inequality_penalty(-db_dv * v_ref / b_scale),
        }

    start = time.perf_counter()
    result = fit(model, loss_fn, config.train, key=jr.key(config.seed + 1), data=batch, run=run)
    seconds = time.perf_counter() - start
    fitted = result.model
    grid_energy = jax.vmap(fitted)(wide)
    v_fit = equilibrium_volume(fitted, wide)
    b_fit = eos_bulk_modulus(fitted, v_fit)
    v0, b0 = float(v_fit), float(b_fit)
    errors = {"v0_rel_error": abs(v0 - problem.v0) / problem.v0}
    errors["b0_rel_error"] = abs(b0 - problem.b0) / problem.b0
    summary = {"v0": v0, "b0": b0, **errors, "wall_time_s": seconds}
    summary["max_param_rel_error"] = max(errors.values())
    if run is not None:
        v_plot, exact = np.asarray(wide), birch_murnaghan(wide, *truth)
        data = {"v_data": np.asarray(volumes), "e_data": np.asarray(energies)}
        run.save_npz(
            "prediction", v=v_plot, u=np.asarray(grid_energy), reference=np.asarray(exact), **data
        )
        b_fit_grid = jax.vmap(lambda v: eos_bulk_modulus(fitted, v))(wide)
        exact_b = jax.vmap(jax.grad(jax.grad(lambda w: birch_murnaghan(w, *truth))))(wide) * wide
        figure = plot_equation_of_state(
            v_plot, grid_energy, exact, (volumes, energies), b_fit_grid, exact_b
        )
        run.save_figure(figure, "prediction")
        terms = ("loss", "data", "bulk_modulus", "pressure")
        run.save_figure(plot_history(result.history, terms), "loss_curves")
    return summary
