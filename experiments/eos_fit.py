"""Energy-volume curve from 6 points with pressure and bulk-modulus penalties."""

import time
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.config import RunConfig, spec
from sciml_jax.losses import data_loss, inequality_penalty
from sciml_jax.nn import MLP
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


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


def birch_murnaghan(volume, e0, v0, b0, b0_prime):
    r"""The Birch–Murnaghan equation of state.

    $E(V) = E_0 + \frac{9 V_0 B_0}{16}\{(\eta - 1)^3 B_0' + (\eta - 1)^2 (6 - 4\eta)\}$,
    $\eta = (V_0/V)^{2/3}$.
    """
    eta = (v0 / volume) ** (2.0 / 3.0)
    return e0 + 9.0 * v0 * b0 / 16.0 * ((eta - 1) ** 3 * b0_prime + (eta - 1) ** 2 * (6 - 4 * eta))


class EnergyModel(eqx.Module):
    """E(V) = e_mean + e_scale * N(z), z = ((V/V_ref)^(-2/3) - 1) / span: a natural strain."""

    net: MLP
    v_ref: float = eqx.field(static=True)
    span: float = eqx.field(static=True)
    e_mean: float = eqx.field(static=True)
    e_scale: float = eqx.field(static=True)

    def __call__(self, volume):
        z = ((volume / self.v_ref) ** (-2.0 / 3.0) - 1.0) / self.span
        return self.e_mean + self.e_scale * self.net(jnp.reshape(z, (1,)))


def pressure(model, volume):
    """P = -dE/dV."""
    return -jax.grad(model)(volume)


def bulk_modulus(model, volume):
    """B = -V dP/dV = V d^2E/dV^2."""
    return volume * jax.grad(jax.grad(model))(volume)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    truth = (problem.e0, problem.v0, problem.b0, problem.b0_prime)
    volumes = problem.v0 * jnp.linspace(
        1 - problem.volume_span, 1 + problem.volume_span, problem.n_data
    )
    energies = birch_murnaghan(volumes, *truth)
    v_ref = float(jnp.mean(volumes))
    model = EnergyModel(
        MLP(1, "scalar", problem.width, problem.depth, key=jr.key(config.seed)),
        v_ref,
        problem.volume_span,
        float(jnp.mean(energies)),
        float(jnp.std(energies)),
    )
    wide = v_ref * jnp.linspace(
        1 - 1.5 * problem.volume_span, 1 + 1.5 * problem.volume_span, problem.n_penalty
    )
    batch = {"volumes": volumes[:, None], "energies": energies, "grid": wide}
    b_scale = problem.b0

    def loss_fn(model, batch, key):
        energy = lambda v: model(v[0])  # noqa: E731
        b = jax.vmap(lambda v: bulk_modulus(model, v))(batch["grid"])
        db_dv = jax.vmap(jax.grad(lambda v: bulk_modulus(model, v)))(batch["grid"])
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
    # V0: zero of the pressure, by Newton from the lowest-energy grid point.
    grid_energy = jax.vmap(fitted)(wide)
    v_fit = wide[jnp.argmin(grid_energy)]
    for _ in range(20):
        v_fit = v_fit + pressure(fitted, v_fit) / (bulk_modulus(fitted, v_fit) / v_fit)
    b_fit = bulk_modulus(fitted, v_fit)
    summary = {
        "v0": float(v_fit),
        "b0": float(b_fit),
        "v0_rel_error": abs(float(v_fit) - problem.v0) / problem.v0,
        "b0_rel_error": abs(float(b_fit) - problem.b0) / problem.b0,
        "wall_time_s": seconds,
    }
    summary["max_param_rel_error"] = max(summary["v0_rel_error"], summary["b0_rel_error"])
    if run is not None:
        v_plot = np.asarray(wide)
        run.save_npz(
            "prediction",
            v=v_plot,
            u=np.asarray(grid_energy),
            reference=np.asarray(birch_murnaghan(wide, *truth)),
            v_data=np.asarray(volumes),
            e_data=np.asarray(energies),
        )
        exact_b = jax.vmap(jax.grad(jax.grad(lambda w: birch_murnaghan(w, *truth))))(wide) * wide
        figure = plot_equation_of_state(
            v_plot,
            grid_energy,
            birch_murnaghan(wide, *truth),
            (volumes, energies),
            jax.vmap(lambda v: bulk_modulus(fitted, v))(wide),
            exact_b,
        )
        run.save_figure(figure, "prediction")
        terms = ("loss", "data", "bulk_modulus", "pressure")
        run.save_figure(plot_history(result.history, terms), "loss_curves")
    return summary
