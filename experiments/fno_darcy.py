"""FNO on 2D Darcy flow (Li et al. 2021, Table 4): permeability a -> pressure u at s = 85.
A finished run saves its FNO with the per-point normalisers (`sciml predict`: `a` shaped
(samples, 1, s, s) at the run's resolution s)."""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.random as jr

from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.data import Normalizer, darcy_dataset

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


Config = wf.experiment_config(data=DataConfig, model=ModelConfig, protocol=wf.EpochProtocolConfig)


def _template(config: Config) -> wf.NormalizedOperator:
    s = config.data.resolution
    net = wf.fno_from_config(1, config.model, num_spatial_dims=2, key=jr.key(0))
    norm = wf.normalizer_template((1, s, s))
    return wf.NormalizedOperator(net, norm, norm)


# per-point normalisers fix the grid
INPUT_KEY, input_shape, model_template, predict = wf.operator_artifact(
    lambda config: (None, 1, config.data.resolution, config.data.resolution), _template, jit=False
)


def run(config: Config, run) -> dict:
    d, m = config.data, config.model
    data = darcy_dataset(
        d.num_train + d.num_test,
        resolution=d.resolution,
        solve_points=d.solve_points,
        zero_mean=d.zero_mean,
        seed=d.seed,
    )
    (a_train, u_train), (a_test, u_test) = wf.split((data["a"], data["u"]), d.num_train)
    # statistics from the training set only (the reference code's UnitGaussianNormalizer)
    a_norm, u_norm = Normalizer.fit(a_train), Normalizer.fit(u_train)
    model_key, train_key = jr.split(jr.key(config.seed))

    def decoded(net, a_encoded):  # the training inputs are encoded once, before training
        return u_norm.decode(net(a_encoded))

    def loss_fn(net, batch, key):
        return wf.mean_rel_l2(jax.vmap(lambda x: decoded(net, x))(batch["a"]), batch["u"])

    @eqx.filter_jit
    def test_error(net):
        encoded = a_norm.encode(a_test)
        prediction = jax.lax.map(lambda x: decoded(net, x), encoded, batch_size=25)
        return wf.mean_rel_l2(prediction, u_test)

    net = wf.fno_from_config(1, m, num_spatial_dims=2, key=model_key)
    train_set = {"a": a_norm.encode(a_train), "u": u_train}
    result, protocol = wf.fit_operator(
        net, loss_fn, config, train_set, test_error, key=train_key, run=run
    )
    summary = {"test_rel_l2": float(test_error(result.model)), **protocol}
    summary |= {"resolution": d.resolution, "solve_points": d.solve_points}
    if run is not None:
        model = wf.NormalizedOperator(result.model, a_norm, u_norm)
        wf.save_prediction(run, predict, model, a_test[:4], u_test[:4])
        wf.save_model(run, model)
    return summary
