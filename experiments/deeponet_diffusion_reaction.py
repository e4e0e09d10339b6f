"""DeepONet on the diffusion-reaction operator (Lu et al. 2021): the source u(x) of
s_t = D s_xx + k s^2 + u(x) (D = k = 0.01, zero initial and boundary values) to s(x, t),
each step on a minibatch of sources and a random subset of the (x, t) grid shared by the
batch. A finished run saves its DeepONet with the (t, x) grid: `sciml predict` takes `a`,
sources at the run's sensors, (samples, num_sensors), and writes s (samples, num_t, num_x).
"""

from dataclasses import asdict, dataclass

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow as wf
from sciml_jax.analysis import rel_l2
from sciml_jax.config import spec
from sciml_jax.data import diffusion_reaction_dataset
from sciml_jax.nn import DeepONet
from sciml_jax.sampling import MinibatchSampler
from sciml_jax.train import fit
from sciml_jax.viz import save_field_comparison

DESCRIPTION = "DeepONet diffusion-reaction: GRF source u(x) -> s(x, t), 2D trunk (x, t)"


@dataclass(frozen=True)
class DataConfig:
    num_train_functions: int = spec(1000, ge=1)
    num_test_functions: int = spec(200, ge=1)
    num_sensors: int = spec(100, ge=2)
    num_x: int = spec(101, ge=3, doc="output grid points in x (with the boundaries)")
    num_t: int = spec(101, ge=2, doc="output grid points in t (with t = 0)")
    length_scale: float = spec(0.2, gt=0.0)
    diffusivity: float = spec(0.01, ge=0.0)
    reaction: float = spec(0.01)
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class ModelConfig:
    latent_dim: int = spec(64, ge=1)
    branch_width: int = spec(64, ge=1)
    branch_depth: int = spec(2, ge=1)
    trunk_width: int = spec(64, ge=1)
    trunk_depth: int = spec(3, ge=1)
    activation: str = spec("tanh", choices=("relu", "tanh", "gelu"))


@dataclass(frozen=True)
class BatchConfig:
    functions: int = spec(50, ge=1, doc="sources per step")
    points: int = spec(1000, ge=1, doc="random (x, t) grid points per step, shared by the batch")


Config = wf.experiment_config(data=DataConfig, model=ModelConfig, batch=BatchConfig)


def _dataset(d: DataConfig, num_functions: int, seed: int) -> dict:
    names = ("num_sensors", "num_x", "num_t", "length_scale", "diffusivity", "reaction")
    return diffusion_reaction_dataset(num_functions, seed=seed, **{n: getattr(d, n) for n in names})


def _template(config: Config) -> wf.OperatorOnGrid:
    d = config.data
    net = DeepONet(d.num_sensors, 2, **asdict(config.model), key=jr.key(0))
    return wf.OperatorOnGrid(net, jnp.zeros((d.num_t * d.num_x, 2)), (d.num_t, d.num_x))


INPUT_KEY, input_shape, model_template, predict = wf.operator_artifact(
    lambda config: (None, config.data.num_sensors), _template, batch_size=50
)


def run(config: Config, run) -> dict:
    d, m, b = config.data, config.model, config.batch
    num_grid = d.num_x * d.num_t
    if b.functions > d.num_train_functions or b.points > num_grid:
        raise ValueError(
            f"batch.functions={b.functions}, batch.points={b.points} with "
            f"{d.num_train_functions} training sources on a {d.num_t} x {d.num_x} grid; a batch "
            "cannot be larger than the data: lower batch.functions or batch.points."
        )
    train = _dataset(d, d.num_train_functions, d.seed)
    test = _dataset(d, d.num_test_functions, d.seed + 1_000_003)
    t_grid, x_grid = np.meshgrid(train["t"], train["x"], indexing="ij")
    # (num_t * num_x, 2) query points in the (t, x) row-major order of s.reshape(N, -1)
    points = jnp.asarray(np.stack([x_grid.ravel(), t_grid.ravel()], axis=1))
    flat = lambda data: jnp.asarray(data["s"]).reshape(data["s"].shape[0], -1)  # noqa: E731
    sampler = MinibatchSampler({"u": jnp.asarray(train["u"]), "s": flat(train)}, b.functions)
    test_u, test_s = jnp.asarray(test["u"]), flat(test)

    model_key, train_key = jr.split(jr.key(config.seed))
    model = DeepONet(d.num_sensors, 2, **asdict(m), key=model_key)

    def loss_fn(model, batch, key):
        # a fresh random subset of the grid each step: the trunk sees every point over time
        index = jr.choice(key, num_grid, (b.points,), replace=False)
        prediction = jax.vmap(lambda u: model(u, points[index]))(batch["u"])
        return jnp.mean((prediction - batch["s"][:, index]) ** 2)

    def predict_flat(net, u):  # (samples, num_t * num_x), the order of flat(data)
        return predict(wf.OperatorOnGrid(net, points, (d.num_t, d.num_x)), u).reshape(len(u), -1)

    def evaluate(model):
        prediction = predict_flat(model, test_u)
        return {
            "test_mse": jnp.mean((prediction - test_s) ** 2),
            "test_rel_l2": jnp.mean(jax.vmap(rel_l2)(prediction, test_s)),
        }

    result = fit(
        model,
        loss_fn,
        config.train,
        key=train_key,
        sampler=sampler,
        run=run,
        eval_fn=evaluate if config.train.eval_every else None,
    )
    scores = {k: float(v) for k, v in evaluate(result.model).items()}
    # on (at most) 200 training sources, the full grid: compare with test_mse for overfitting
    train_prediction = predict_flat(result.model, jnp.asarray(train["u"][:200]))
    summary = {
        **scores,
        "train_mse": float(jnp.mean((train_prediction - flat(train)[:200]) ** 2)),
        "steps": int(result.state.step),
        "num_train_functions": d.num_train_functions,
        "num_test_functions": d.num_test_functions,
        "device": jax.devices()[0].platform,
    }
    if run is not None:
        model = wf.OperatorOnGrid(result.model, points, (d.num_t, d.num_x))
        prediction, reference = np.asarray(predict(model, test_u[:3])), test["s"][:3]
        arrays = dict(x=train["x"], t=train["t"], u=test["u"][:3], sensors=train["sensors"])
        run.save_npz("prediction", **arrays, prediction=prediction, reference=reference)
        save_field_comparison(
            run,
            prediction[0].T,
            reference[0].T,
            train["t"],
            train["x"],
            history=result.history,
            terms=("loss", "test_mse"),
        )
        wf.save_model(run, model)
    return summary
