"""Inverse problem (a): recover the Burgers viscosity from 20 noisy sensor time series."""

from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from sciml_jax.analysis import compiled_memory_bytes, gradient_check
from sciml_jax.config import RunConfig, spec
from sciml_jax.ops import make_grid
from sciml_jax.sim import BurgersStepper, rollout
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_sensor_fit

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


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


class Viscosity(eqx.Module):
    """The unknown, parameterised by its logarithm (positive, scale-free steps)."""

    log_viscosity: jax.Array

    @property
    def value(self):
        return jnp.exp(self.log_viscosity)


def _initial_condition(x):
    return 0.5 * jnp.sin(x) + 0.25 * jnp.sin(2 * x + 1.0) + 0.15


def simulate(viscosity, p: ProblemConfig, refinement: int = 1, checkpoint: bool = False):
    n = p.num_points * refinement
    dt = p.dt / refinement
    steps = int(round(p.t_final / p.dt)) * refinement
    stepper = BurgersStepper(1, 2 * jnp.pi, n, dt, diffusivity=viscosity, order=4)
    x = make_grid(1, 2 * jnp.pi, n)
    trajectory = rollout(
        stepper,
        _initial_condition(x),
        steps,
        save_every=p.save_every * refinement,
        checkpoint=checkpoint,
    )
    return trajectory[:, 0, ::refinement]  # (times, model grid)


def run(config: Config, run: RunDir) -> dict:
    p = config.problem
    key_sensors, key_noise, key_train = jax.random.split(jax.random.key(config.seed), 3)
    sensors = jax.random.choice(key_sensors, p.num_points, (p.num_sensors,), replace=False)
    # Data from a finer solver than the model's: no "inverse crime".
    clean = simulate(p.true_viscosity, p, refinement=p.data_refinement)[:, sensors]
    noise = p.noise * jnp.std(clean) * jax.random.normal(key_noise, clean.shape)
    data = {"observations": clean + noise}

    def loss_fn(model, batch, key):
        predicted = simulate(model.value, p, checkpoint=p.checkpoint)[:, sensors]
        return jnp.mean((predicted - batch["observations"]) ** 2) / jnp.var(clean)

    model = Viscosity(jnp.log(jnp.asarray(p.initial_guess)))
    check = gradient_check(
        lambda m: loss_fn(m, data, None), model, Viscosity(jnp.ones(())), epsilon=1e-3
    )
    result = fit(model, loss_fn, config.train, key=key_train, data=data, run=run)
    recovered = float(result.model.value)
    relative_error = abs(recovered - p.true_viscosity) / p.true_viscosity

    grad_fn = lambda checkpoint: (
        lambda m: jax.grad(
            lambda m: jnp.mean(
                (simulate(m.value, p, checkpoint=checkpoint)[:, sensors] - data["observations"])
                ** 2
            )
        )(m)
    )
    memory = {flag: compiled_memory_bytes(grad_fn(flag), model) for flag in (False, True)}

    times = np.arange(clean.shape[0]) * p.dt * p.save_every
    fitted = simulate(recovered, p)[:, sensors]
    title = f"nu: true {p.true_viscosity:g}, recovered {recovered:.5g}"
    figure = plot_sensor_fit(times, data["observations"], fitted, result.history, title=title)
    run.save_figure(figure, "fit")
    return {
        "true_viscosity": p.true_viscosity,
        "recovered_viscosity": recovered,
        "relative_error": relative_error,
        "target_relative_error": 0.01,
        "gradient_check_relative_difference": check["relative_difference"],
        "gradient_memory_bytes_no_checkpoint": memory[False],
        "gradient_memory_bytes_checkpoint": memory[True],
    }
