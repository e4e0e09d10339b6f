"""Inverse problem (a): recover the Burgers viscosity from 20 noisy sensor time series."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from sciml_jax.config import spec
from sciml_jax.ops import make_grid
from sciml_jax.sim import BurgersStepper, rollout
from sciml_jax.viz import plot_sensor_fit
from sciml_jax.workflow import TrainableField, experiment_config, fit_checked, gradient_memory

DESCRIPTION = (
    "Recover Burgers viscosity from 20 noisy sensors by gradients through ETDRK (target: within 1%)"
)


@dataclass(frozen=True)
class ProblemConfig:
    true_viscosity: float = spec(0.05, gt=0.0)
    initial_guess: float = spec(0.15, gt=0.0, doc="starting viscosity of the optimisation")
    num_sensors: int = spec(20, ge=1)
    noise: float = spec(0.01, ge=0.0, doc="noise std relative to the data's std")
    num_points: int = spec(128, ge=16, doc="grid of the model solver on [0, 2 pi)")
    data_refinement: int = spec(2, ge=1, doc="data solver: this many times finer in x and t")
    dt: float = spec(0.01, gt=0.0)
    t_final: float = spec(2.0, gt=0.0)
    save_every: int = spec(5, ge=1, doc="steps between sensor samples")
    checkpoint: bool = spec(True, doc="rematerialise the rollout in the backward pass")


Config = experiment_config(problem=ProblemConfig)


def simulate(viscosity, p: ProblemConfig, refinement: int = 1, checkpoint: bool = False):
    """Sensor-free solution (times, model grid) from 0.5 sin x + 0.25 sin(2x + 1) + 0.15."""
    n, dt = p.num_points * refinement, p.dt / refinement
    steps = int(round(p.t_final / p.dt)) * refinement
    stepper = BurgersStepper(1, 2 * jnp.pi, n, dt, diffusivity=viscosity, order=4)
    x = make_grid(1, 2 * jnp.pi, n)
    u0 = 0.5 * jnp.sin(x) + 0.25 * jnp.sin(2 * x + 1.0) + 0.15
    save_every = p.save_every * refinement
    trajectory = rollout(stepper, u0, steps, save_every=save_every, checkpoint=checkpoint)
    return trajectory[:, 0, ::refinement]


def run(config: Config, run) -> dict:
    p = config.problem
    key_sensors, key_noise, key_train = jax.random.split(jax.random.key(config.seed), 3)
    sensors = jax.random.choice(key_sensors, p.num_points, (p.num_sensors,), replace=False)
    # Data from a finer solver than the model's: no "inverse crime".
    clean = simulate(p.true_viscosity, p, refinement=p.data_refinement)[:, sensors]
    noise = p.noise * jnp.std(clean) * jax.random.normal(key_noise, clean.shape)
    data = {"observations": clean + noise}
    # the unknown is log(viscosity): positive, scale-free steps
    misfit = lambda m, observed, checkpoint: jnp.mean(
        (simulate(jnp.exp(m.field), p, checkpoint=checkpoint)[:, sensors] - observed) ** 2
    )
    loss_fn = lambda m, batch, key: misfit(m, batch["observations"], p.checkpoint) / jnp.var(clean)
    model = TrainableField(jnp.log(jnp.asarray(p.initial_guess)))
    options = dict(check_at=model, direction=TrainableField(jnp.ones(())), epsilon=1e-3)
    result, check = fit_checked(
        loss_fn, model, data, config.train, key=key_train, run=run, **options
    )
    recovered = float(jnp.exp(result.model.field))
    times = np.arange(clean.shape[0]) * p.dt * p.save_every
    fitted = simulate(recovered, p)[:, sensors]
    title = f"nu: true {p.true_viscosity:g}, recovered {recovered:.5g}"
    figure = plot_sensor_fit(times, data["observations"], fitted, result.history, title=title)
    run.save_figure(figure, "fit")
    return {
        "true_viscosity": p.true_viscosity,
        "recovered_viscosity": recovered,
        "relative_error": abs(recovered - p.true_viscosity) / p.true_viscosity,
        "target_relative_error": 0.01,
        "gradient_check_relative_difference": check,
        **gradient_memory(lambda m, flag: misfit(m, data["observations"], flag), model),
    }
