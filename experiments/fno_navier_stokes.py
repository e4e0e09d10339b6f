"""FNO-2D on 2D Navier-Stokes vorticity (Li et al. 2021, Table 1, nu = 1e-3): the first
`input_steps` vorticity snapshots -> the next `output_steps`, autoregressively in time. A
finished run saves its FNO with the rollout length (`sciml predict`: `a` shaped
(samples, input_steps, n, n); `prediction` (samples, output_steps, n, n))."""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.data import navier_stokes_dataset
from sciml_jax.losses import relative_l2_loss

DESCRIPTION = "FNO-2D on NS vorticity (nu=1e-3, 64^2, 10 -> 10 steps); paper rel L2 1.28e-2"


@dataclass(frozen=True)
class DataConfig:
    num_train: int = spec(1000, ge=1)
    num_test: int = spec(200, ge=1)
    resolution: int = spec(64, ge=8)
    solve_points: int = spec(64, ge=8)
    viscosity: float = spec(1e-3, gt=0.0)
    final_time: float = spec(50.0, gt=0.0, doc="data generated up to T (snapshots every 1)")
    dt: float = spec(1e-2, gt=0.0, doc="solver step (ETDRK2, viscosity exact)")
    input_steps: int = spec(10, ge=1)
    output_steps: int = spec(10, ge=1)
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class ModelConfig:
    width: int = spec(20, ge=1)
    modes: int = spec(12, ge=1)
    num_layers: int = spec(4, ge=1)


Config = wf.experiment_config(data=DataConfig, model=ModelConfig, protocol=wf.EpochProtocolConfig)


def _template(config: Config) -> wf.WindowRollout:
    d = config.data
    net = wf.fno_from_config(d.input_steps, config.model, num_spatial_dims=2, key=jr.key(0))
    return wf.WindowRollout(net, d.output_steps)


INPUT_KEY, input_shape, model_template, predict = wf.operator_artifact(
    lambda c: (None, c.data.input_steps, c.data.resolution, c.data.resolution),
    _template,
    batch_size=20,  # windows at a time
)


def run(config: Config, run) -> dict:
    d = config.data
    if d.input_steps + d.output_steps > round(d.final_time) + 1:
        raise ValueError(
            f"input_steps + output_steps = {d.input_steps + d.output_steps} "
            f"exceeds the {round(d.final_time) + 1} snapshots up to final_time."
        )
    w = jnp.asarray(
        navier_stokes_dataset(
            d.num_train + d.num_test,
            resolution=d.resolution,
            solve_points=d.solve_points,
            viscosity=d.viscosity,
            final_time=d.final_time,
            dt=d.dt,
            seed=d.seed,
        )
    )[:, :, 0]
    a = w[:, : d.input_steps]  # (N, T_in, n, n)
    u = w[:, d.input_steps : d.input_steps + d.output_steps]  # (N, T_out, n, n)
    (a_train, u_train), (a_test, u_test) = wf.split((a, u), d.num_train)
    model_key, train_key = jr.split(jr.key(config.seed))

    def loss_fn(net, batch, key):
        prediction = jax.vmap(wf.WindowRollout(net, d.output_steps))(batch["a"])
        # the reference code sums the per-step relative errors over the horizon
        per_step = jax.vmap(jax.vmap(relative_l2_loss))(prediction, batch["u"])
        return jnp.mean(jnp.sum(per_step, axis=1))

    @eqx.filter_jit
    def test_error(net):
        return wf.mean_rel_l2(predict(wf.WindowRollout(net, d.output_steps), a_test), u_test)

    net = wf.fno_from_config(d.input_steps, config.model, num_spatial_dims=2, key=model_key)
    train_set = {"a": a_train, "u": u_train}
    result, protocol = wf.fit_operator(
        net, loss_fn, config, train_set, test_error, key=train_key, run=run
    )
    if run is not None:
        wf.save_model(run, wf.WindowRollout(result.model, d.output_steps))
    return {"test_rel_l2": float(test_error(result.model)), **protocol}
