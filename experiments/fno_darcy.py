"""FNO on 2D Darcy flow (Li et al. 2021, Table 4): permeability a -> pressure u at s = 85."""

from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax.config import RunConfig, spec
from sciml_jax.data import Normalizer, darcy_dataset
from sciml_jax.losses import relative_l2_loss
from sciml_jax.nn import FNO
from sciml_jax.sampling import MinibatchSampler
from sciml_jax.train import epoch_protocol, fit, seconds_per_epoch

DESCRIPTION = "FNO-2D on Darcy (a in {3,12}, f=1) at s=85; paper rel L2 1.08e-2"


@dataclass(frozen=True)
class DataConfig:
    num_train: int = spec(1000, ge=1)
    num_test: int = spec(100, ge=1)
    resolution: int = spec(85, ge=8)
    solve_points: int = spec(421, ge=8, doc="421 in the paper; (solve-1) % (res-1) == 0")
    zero_mean: bool = spec(True, doc="psi without its constant mode, as Li et al.'s data")
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class ModelConfig:
    width: int = spec(32, ge=1)
    modes: int = spec(12, ge=1)
    num_layers: int = spec(4, ge=1)
    padding_fraction: float = spec(0.1, ge=0.0, lt=1.0, doc="non-periodic data: pad ~9/85")


@dataclass(frozen=True)
class ProtocolConfig:
    epochs: int = spec(500, ge=1)
    batch_size: int = spec(20, ge=1)
    halve_every_epochs: int | None = spec(100, ge=1)
    log_every_epochs: int = spec(1, ge=1)


@dataclass(frozen=True)
class Config(RunConfig):
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)


def run(config: Config, run) -> dict:
    d, m, p = config.data, config.model, config.protocol
    data = darcy_dataset(
        d.num_train + d.num_test,
        resolution=d.resolution,
        solve_points=d.solve_points,
        zero_mean=d.zero_mean,
        seed=d.seed,
    )
    a, u = jnp.asarray(data["a"]), jnp.asarray(data["u"])
    a_train, u_train, a_test, u_test = (
        a[: d.num_train],
        u[: d.num_train],
        a[d.num_train :],
        u[d.num_train :],
    )
    # statistics from the training set only (the reference code's UnitGaussianNormalizer)
    a_norm, u_norm = Normalizer.fit(a_train), Normalizer.fit(u_train)
    model_key, train_key = jr.split(jr.key(config.seed))
    net = FNO(
        1,
        1,
        width=m.width,
        modes=m.modes,
        num_layers=m.num_layers,
        num_spatial_dims=2,
        padding_fraction=m.padding_fraction,
        key=model_key,
    )
    sampler = MinibatchSampler({"a": a_norm.encode(a_train), "u": u_train}, p.batch_size)
    train = epoch_protocol(
        config.train,
        epochs=p.epochs,
        steps_per_epoch=sampler.steps_per_epoch,
        halve_every_epochs=p.halve_every_epochs,
        log_every_epochs=p.log_every_epochs,
    )

    def predict(net, a_encoded):
        return u_norm.decode(net(a_encoded))

    def loss_fn(net, batch, key):
        prediction = jax.vmap(lambda x: predict(net, x))(batch["a"])
        return jnp.mean(jax.vmap(relative_l2_loss)(prediction, batch["u"]))

    @eqx.filter_jit
    def test_error(net):
        prediction = jax.lax.map(lambda x: predict(net, x), a_norm.encode(a_test), batch_size=25)
        return jnp.mean(jax.vmap(relative_l2_loss)(prediction, u_test))

    result = fit(
        net,
        loss_fn,
        train,
        key=train_key,
        sampler=sampler,
        run=run,
        eval_fn=(lambda net: {"test_rel_l2": test_error(net)}) if train.eval_every else None,
    )
    summary = {
        "test_rel_l2": float(test_error(result.model)),
        "epochs": p.epochs,
        "resolution": d.resolution,
        "solve_points": d.solve_points,
        "num_train": d.num_train,
        "num_test": d.num_test,
        "s_per_epoch": seconds_per_epoch(result.history, sampler.steps_per_epoch),
        "final_train_loss": result.history[-1]["loss"],
        "device": jax.devices()[0].platform,
    }
    if run is not None:
        prediction = jax.vmap(lambda x: predict(result.model, x))(a_norm.encode(a_test[:4]))
        run.save_npz("prediction", a=a_test[:4], u=u_test[:4], prediction=prediction)
    return summary
