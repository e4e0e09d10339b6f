"""DeepONet on the antiderivative operator (Lu et al. 2021): G(u)(y) = int_0^y u. A finished
run saves its DeepONet with the test query grid y (`prediction.npz`'s `y`): `sciml predict`
takes `a`, the inputs at the sensors linspace(0, 1, num_sensors), (samples, num_sensors)."""

from dataclasses import asdict, dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.data import antiderivative_dataset
from sciml_jax.nn import DeepONet
from sciml_jax.train import fit

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


Config = wf.experiment_config(data=DataConfig, model=ModelConfig)


def _template(config: Config) -> wf.OperatorOnGrid:
    d = config.data
    net = DeepONet(d.num_sensors, 1, **asdict(config.model), key=jr.key(0))
    return wf.OperatorOnGrid(net, jnp.zeros((d.num_test_points, 1)), (d.num_test_points,))


INPUT_KEY, input_shape, model_template, predict = wf.operator_artifact(
    lambda config: (None, config.data.num_sensors), _template, jit=False
)


def run(config: Config, run) -> dict:
    d, m = config.data, config.model
    common = dict(num_sensors=d.num_sensors, length_scale=d.length_scale)
    train = antiderivative_dataset(
        d.num_train_functions, num_points=d.num_points, query=d.query, seed=d.seed, **common
    )
    test = antiderivative_dataset(
        d.num_test_functions, num_points=d.num_test_points, seed=d.seed + 1_000_003, **common
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
        model = wf.OperatorOnGrid(result.model, y, (y.shape[0],))
        prediction = predict(model, test_batch["u"][:3])
        run.save_npz("prediction", y=y[:, 0], s=test_batch["s"][:3], prediction=prediction)
        wf.save_model(run, model)
    return summary
