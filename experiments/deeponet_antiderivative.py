"""DeepONet on the antiderivative operator (Lu et al. 2021): G(u)(y) = int_0^y u.

A finished run saves its DeepONet with the test query grid y = linspace(0, 1,
num_test_points) (`prediction.npz`'s `y`): `sciml predict` takes `a`, the input functions
at the sensors linspace(0, 1, num_sensors), shaped (samples, num_sensors), and writes
G(a)(y) shaped (samples, num_test_points)."""

from dataclasses import asdict, dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax.config import RunConfig, spec
from sciml_jax.data import antiderivative_dataset
from sciml_jax.nn import DeepONet
from sciml_jax.train import fit
from sciml_jax.workflow import OperatorOnGrid, save_model

DESCRIPTION = "DeepONet antiderivative, m=100 sensors, 10k train triples; paper test MSE 9.3e-7"


@dataclass(frozen=True)
class DataConfig:
    num_train_functions: int = spec(100, ge=1, doc="x num_points triples (100 x 100 = 10k)")
    num_test_functions: int = spec(1000, ge=1)
    num_test_points: int = spec(100, ge=2, doc="shared grid of query points of the test set")
    num_sensors: int = spec(100, ge=2)
    num_points: int = spec(
        100, ge=1, doc="query points per training function (>= 2 for the grid layout)"
    )
    length_scale: float = spec(0.2, gt=0.0)
    query: str = spec(
        "grid",
        choices=("grid", "random"),
        doc="training query points: shared grid (aligned) or random per function",
    )
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class ModelConfig:
    variant: str = spec("unstacked", choices=("unstacked", "stacked"))
    latent_dim: int = spec(40, ge=1)
    branch_width: int = spec(40, ge=1)
    branch_depth: int = spec(1, ge=1)
    trunk_width: int = spec(40, ge=1)
    trunk_depth: int = spec(2, ge=1)
    activation: str = spec("relu", choices=("relu", "tanh", "gelu"))


@dataclass(frozen=True)
class Config(RunConfig):
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)


INPUT_KEY = "a"


def input_shape(config: Config) -> tuple[int | None, ...]:
    return (None, config.data.num_sensors)


def model_template(config: Config) -> OperatorOnGrid:
    d = config.data
    net = DeepONet(d.num_sensors, 1, **asdict(config.model), key=jr.key(0))
    return OperatorOnGrid(net, jnp.zeros((d.num_test_points, 1)), (d.num_test_points,))


def predict(model: OperatorOnGrid, a):
    """G(u) on the saved query grid for a batch of sensor values (samples, num_sensors)."""
    return jax.vmap(model)(a)


def run(config: Config, run) -> dict:
    d, m = config.data, config.model
    train = antiderivative_dataset(
        d.num_train_functions,
        num_sensors=d.num_sensors,
        num_points=d.num_points,
        length_scale=d.length_scale,
        query=d.query,
        seed=d.seed,
    )
    test = antiderivative_dataset(
        d.num_test_functions,
        num_sensors=d.num_sensors,
        num_points=d.num_test_points,
        length_scale=d.length_scale,
        seed=d.seed + 1_000_003,
    )
    batch = {k: jnp.asarray(train[k]) for k in ("u", "y", "s")}
    test_batch = {k: jnp.asarray(test[k]) for k in ("u", "y", "s")}
    model_key, train_key = jr.split(jr.key(config.seed))
    model = DeepONet(d.num_sensors, 1, **asdict(m), key=model_key)

    def mse(model, batch, key=None):
        if batch["y"].ndim == 2:
            # Cartesian product: each function's branch once, the shared trunk grid once
            prediction = jax.vmap(lambda u: model(u, batch["y"]))(batch["u"])
        else:
            prediction = jax.vmap(model)(batch["u"], batch["y"])
        return jnp.mean((prediction - batch["s"]) ** 2)

    test_mse = eqx.filter_jit(lambda model: mse(model, test_batch))
    result = fit(
        model,
        mse,
        config.train,
        key=train_key,
        data=batch,
        run=run,
        eval_fn=(lambda model: {"test_mse": test_mse(model)}) if config.train.eval_every else None,
    )
    summary = {
        "test_mse": float(test_mse(result.model)),
        "train_mse": float(mse(result.model, batch)),
        "steps": int(result.state.step),
        "num_train_triples": d.num_train_functions * d.num_points,
        "device": jax.devices()[0].platform,
    }
    if run is not None:
        y = test_batch["y"]
        model = OperatorOnGrid(result.model, y, (y.shape[0],))
        prediction = predict(model, test_batch["u"][:3])
        run.save_npz("prediction", y=y[:, 0], s=test_batch["s"][:3], prediction=prediction)
        save_model(run, model)
    return summary
