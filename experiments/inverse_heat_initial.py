"""Inverse problem (b): recover the initial condition of the heat equation from its noisy
final state, with Tikhonov (H1) regularisation."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from sciml_jax.analysis import rel_l2
from sciml_jax.config import spec
from sciml_jax.ops import make_grid
from sciml_jax.sim import Diffusion, rollout_final
from sciml_jax.viz import plot_recovery_1d
from sciml_jax.workflow import TrainableField, experiment_config, fit_checked

DESCRIPTION = (
    "Recover a heat-equation initial condition from u(T) + 1% noise, H1 Tikhonov"
    " (target rel L2 <= 5%)"
)


@dataclass(frozen=True)
class ProblemConfig:
    diffusivity: float = spec(0.01, gt=0.0)
    t_final: float = spec(2.0, gt=0.0)
    num_steps: int = spec(100, ge=1, doc="simulator steps to t_final")
    num_points: int = spec(128, ge=8, doc="grid on [0, 2 pi)")
    num_modes: int = spec(8, ge=1, doc="Fourier modes in the true initial condition")
    noise: float = spec(0.01, ge=0.0, doc="noise std relative to the final state's std")
    regularisation: float = spec(1e-4, ge=0.0, doc="lambda in lambda * mean(u0_x^2) (H1 seminorm)")


Config = experiment_config(problem=ProblemConfig)


def run(config: Config, run) -> dict:
    p = config.problem
    key_modes, key_noise, key_train = jax.random.split(jax.random.key(config.seed), 3)
    x = make_grid(1, 2 * jnp.pi, p.num_points)
    k = jnp.arange(1, p.num_modes + 1)
    a, b = jax.random.normal(key_modes, (2, p.num_modes)) / k
    true_u0 = jnp.sum(
        a[:, None] * jnp.sin(k[:, None] * x) + b[:, None] * jnp.cos(k[:, None] * x),
        axis=0,
        keepdims=True,
    )
    dt = p.t_final / p.num_steps
    stepper = Diffusion(1, 2 * jnp.pi, p.num_points, dt, diffusivity=p.diffusivity)
    forward = lambda u0: rollout_final(stepper, u0, p.num_steps)
    clean = forward(true_u0)
    observed = clean + p.noise * jnp.std(clean) * jax.random.normal(key_noise, clean.shape)
    # The H1 seminorm in Fourier space, with |k|^2 on every mode: the Nyquist mode, which
    # the data cannot see (it decays by exp(-alpha (N/2)^2 T)), must be penalised too.
    k2 = stepper.wavenumber_norm_squared()
    weights = jnp.where(jnp.arange(k2.shape[-1]) % (p.num_points // 2) == 0, 1.0, 2.0)

    def h1_seminorm(u):
        u_hat = stepper.to_fourier(u) / p.num_points
        return jnp.sum(weights * k2 * jnp.abs(u_hat) ** 2)

    def loss_fn(model, batch, key):
        misfit = jnp.mean((forward(model.field) - batch["observed"]) ** 2)
        penalty = p.regularisation * h1_seminorm(model.field)
        return {"misfit": misfit / jnp.var(clean), "tikhonov": penalty / jnp.var(clean)}

    init, at = TrainableField(jnp.zeros_like(true_u0)), TrainableField(observed)
    data = {"observed": observed}
    result, check = fit_checked(
        loss_fn, init, data, config.train, key=key_train, run=run, check_at=at, epsilon=1e-2
    )
    recovered = result.model.field
    error = float(rel_l2(recovered, true_u0))
    figure = plot_recovery_1d(
        x[0],
        true_u0[0],
        recovered[0],
        observed[0],
        result.history,
        error=error,
        terms=("misfit", "tikhonov"),
    )
    run.save_figure(figure, "recovery")
    fields = {"true_u0": true_u0, "recovered_u0": recovered, "observed": observed}
    run.save_npz("prediction", x=x[0], **{name: f[0] for name, f in fields.items()})
    return {
        "rel_l2_initial_condition": error,
        "target_rel_l2": 0.05,
        "rel_l2_of_final_state_as_guess": float(rel_l2(observed, true_u0)),
        "gradient_check_relative_difference": check,
    }
