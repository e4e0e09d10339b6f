"""FNO-2D on 2D Navier-Stokes vorticity (Li et al. 2021, Table 1, nu = 1e-3): the first
`input_steps` vorticity snapshots -> the next `output_steps`, autoregressively in time.

A finished run saves its FNO with the rollout length (`sciml predict`: `a` shaped
(samples, input_steps, n, n), the first snapshots; `prediction` (samples, output_steps, n, n))."""

from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax.config import RunConfig, spec
from sciml_jax.data import navier_stokes_dataset
from sciml_jax.losses import relative_l2_loss
from sciml_jax.workflow import (
    EpochProtocolConfig,
    WindowRollout,
    fit_epochs,
    fno_from_config,
    mean_rel_l2,
    protocol_summary,
    save_model,
    split,
)

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


@dataclass(frozen=True)
class Config(RunConfig):
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    protocol: EpochProtocolConfig = field(default_factory=EpochProtocolConfig)


INPUT_KEY = "a"


def input_shape(config: Config) -> tuple[int | None, ...]:
    d = config.data
    return (None, d.input_steps, d.resolution, d.resolution)


def model_template(config: Config) -> WindowRollout:
    d = config.data
    net = fno_from_config(d.input_steps, config.model, num_spatial_dims=2, key=jr.key(0))
    return WindowRollout(net, d.output_steps)


@eqx.filter_jit
def predict(model: WindowRollout, a):
    """The next `output_steps` snapshots of each window in `a`, 20 windows at a time."""
    return jax.lax.map(model, a, batch_size=20)


def run(config: Config, run) -> dict:
    d, m, p = config.data, config.model, config.protocol
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
    (a_train, u_train), (a_test, u_test) = split((a, u), d.num_train)
    model_key, train_key = jr.split(jr.key(config.seed))

    def loss_fn(net, batch, key):
        prediction = jax.vmap(WindowRollout(net, d.output_steps))(batch["a"])
        # the reference code sums the per-step relative errors over the horizon
        per_step = jax.vmap(jax.vmap(relative_l2_loss))(prediction, batch["u"])
        return jnp.mean(jnp.sum(per_step, axis=1))

    @eqx.filter_jit
    def test_error(net):
        return mean_rel_l2(predict(WindowRollout(net, d.output_steps), a_test), u_test)

    result, sampler = fit_epochs(
        fno_from_config(d.input_steps, m, num_spatial_dims=2, key=model_key),
        loss_fn,
        config.train,
        p,
        {"a": a_train, "u": u_train},
        key=train_key,
        run=run,
        eval_fn=lambda net: {"test_rel_l2": test_error(net)},
    )
    if run is not None:
        save_model(run, WindowRollout(result.model, d.output_steps))
    return {
        "test_rel_l2": float(test_error(result.model)),
        **protocol_summary(result, sampler, p, d),
    }
