"""Neural ODE: learn the damped-pendulum vector field from one trajectory, trained with `fit`."""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp

from sciml_jax.analysis import rel_l2
from sciml_jax.config import spec
from sciml_jax.sim import DampedPendulum, NeuralODE, solve_ode
from sciml_jax.train import fit
from sciml_jax.viz import plot_neural_ode_fit
from sciml_jax.workflow import experiment_config, grid_points

DESCRIPTION = (
    "Neural ODE learns damped-pendulum dynamics from one noisy trajectory; tested on extrapolation"
)


@dataclass(frozen=True)
class ProblemConfig:
    t_train: float = spec(10.0, gt=0.0, doc="training window [0, t_train]")
    t_test: float = spec(20.0, gt=0.0, doc="extrapolation window [0, t_test]")
    num_samples: int = spec(100, ge=2, doc="observation times in the training window")
    noise: float = spec(0.01, ge=0.0, doc="observation noise std")
    width: int = spec(64, ge=1)
    depth: int = spec(2, ge=1)
    initial_angle: float = spec(1.5, doc="theta(0); omega(0) = 0")
    damping: float = spec(0.2, ge=0.0)
    solver: str = spec("tsit5", choices=("tsit5", "dopri5", "bosh3"))
    adjoint: str = spec("recursive_checkpoint", choices=("recursive_checkpoint", "backsolve"))


Config = experiment_config(problem=ProblemConfig)


def run(config: Config, run) -> dict:
    p = config.problem
    key_model, key_noise, key_train = jax.random.split(jax.random.key(config.seed), 3)
    pendulum = DampedPendulum(gravity=4.0, damping=p.damping)
    y0 = jnp.array([p.initial_angle, 0.0])
    truth = lambda ts: (
        solve_ode(pendulum.vector_field, y0, 0.0, ts[-1], saveat=ts, rtol=1e-8, atol=1e-10).ys
    )
    ts = jnp.linspace(0.0, p.t_train, p.num_samples)
    observed = truth(ts) + p.noise * jax.random.normal(key_noise, (p.num_samples, 2))
    mlp = eqx.nn.MLP(2, 2, p.width, p.depth, activation=jax.nn.softplus, key=key_model)
    model = NeuralODE(mlp, solver=p.solver, adjoint=p.adjoint, rtol=1e-4, atol=1e-6)

    def loss_fn(model, batch, key):
        return jnp.mean((model(batch["ts"], batch["y0"]) - batch["observed"]) ** 2)

    ts_test = jnp.linspace(0.0, p.t_test, 2 * p.num_samples)
    reference = truth(ts_test)

    def evaluate(model):
        return {"test_rel_l2": float(rel_l2(model(ts_test, y0), reference))}

    result = fit(
        model,
        loss_fn,
        config.train,
        key=key_train,
        run=run,
        eval_fn=evaluate,
        data={"ts": ts, "y0": y0, "observed": observed},
    )
    trained = result.model
    prediction = trained(ts_test, y0)
    in_window = ts_test <= p.t_train
    summary = {
        "rel_l2_train_window": float(rel_l2(prediction[in_window], reference[in_window])),
        "rel_l2_extrapolation": float(rel_l2(prediction[~in_window], reference[~in_window])),
        "rel_l2_full": float(rel_l2(prediction, reference)),
    }
    # The learned field against the true one on the region the data visited.
    points = grid_points(jnp.linspace(-1.5, 1.5, 21), jnp.linspace(-3, 3, 21))
    learned = jax.vmap(trained.vector_field)(points)
    exact = jax.vmap(lambda y: pendulum.vector_field(0.0, y))(points)
    summary["rel_l2_vector_field_on_box"] = float(rel_l2(learned, exact))
    run.save_npz("prediction", t=ts_test, y=prediction, reference=reference)
    figure = plot_neural_ode_fit(
        ts_test, reference, prediction, ts, observed, p.t_train, result.history
    )
    run.save_figure(figure, "neural_ode")
    return summary
