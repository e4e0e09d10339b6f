"""Reduced versions of the operator benchmarks, with honest, looser bounds than the paper
figures (which need the full budgets in configs/*.yaml, see benchmarks/operator_suite.py)."""

import importlib.util
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from sciml_jax.config import OptimizerConfig, ScheduleConfig, TrainConfig, parse_config
from sciml_jax.data import antiderivative_dataset, burgers_dataset
from sciml_jax.nn import DeepONet

ROOT = Path(__file__).resolve().parents[1]


def _experiment(name):
    spec = importlib.util.spec_from_file_location(
        f"_test_{name}", ROOT / "experiments" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fno_burgers_data_zero_mean_and_energy_decay(tmp_path):
    # Li et al.'s generator draws u0 without its constant mode; Burgers conserves the mean.
    # With zero mean, the energy identity d/dt |u|^2 = -2 nu |u_x|^2 and Poincare's
    # |u_x| >= 2 pi |u| bound |u(T)| <= exp(-4 pi^2 nu T) |u0| exactly (the old data, with
    # a random mean of std 1, violated this and made the operator a translation by the mean)
    data = burgers_dataset(8, resolution=256, solve_points=256, grf_modes=256, cache_dir=tmp_path)
    a, u = data["a"][:, 0], data["u"][:, 0]
    scale = np.abs(a).max()
    assert np.abs(a.mean(-1)).max() < 1e-6 * scale
    assert np.abs(u.mean(-1)).max() < 1e-6 * scale
    ratio = np.linalg.norm(u, axis=-1) / np.linalg.norm(a, axis=-1)
    assert np.all(ratio <= np.exp(-4 * np.pi**2 * 0.1) * (1 + 1e-4))


def test_fno_burgers_reduced_learns_and_super_resolves(tmp_path, monkeypatch):
    # 64 training pairs at s = 64, evaluated at 64 and (zero-shot) 256: the error at 256
    # must stay within 1.5x of the error at the training resolution (issue 5 target).
    # Measured: 0.0156 / 0.0151 (seeds 0 / 1); without the output normaliser 0.075, with
    # the old non-zero-mean data 0.041, so the bound 0.03 catches either regression.
    monkeypatch.setenv("SCIML_JAX_DATA", str(tmp_path))
    fno_burgers = _experiment("fno_burgers")
    config = parse_config(
        fno_burgers.Config,
        {
            "experiment": "fno_burgers",
            "data": {
                "num_train": 64,
                "num_test": 16,
                "train_resolution": 64,
                "eval_resolutions": [64, 256],
                "solve_points": 256,
                "grf_modes": 256,
            },
            "model": {"width": 16, "modes": 8, "num_layers": 2},
            "protocol": {
                "epochs": 40,
                "batch_size": 16,
                "halve_every_epochs": 15,
                "log_every_epochs": 20,
            },
            "train": {
                "progress": False,
                "chunk_size": 80,
                "checkpoint_every": 80,
                "optimizer": {"learning_rate": 3e-3},
            },
        },
    )
    summary = fno_burgers.run(config, None)
    # untrained error is ~1; the paper's full run (1000 pairs, 500 epochs) 1.6e-3
    assert summary["test_rel_l2_64"] < 0.03
    assert summary["test_rel_l2_256"] < 1.5 * summary["test_rel_l2_64"]


def test_deeponet_antiderivative_reduced(tmp_path, getkey):
    import jax

    from sciml_jax.train import fit

    train = antiderivative_dataset(100, num_sensors=100, num_points=50, cache_dir=tmp_path)
    test = antiderivative_dataset(100, num_sensors=100, num_points=50, seed=1, cache_dir=tmp_path)
    batch = {k: jnp.asarray(train[k]) for k in ("u", "y", "s")}

    def mse(model, batch, key=None):
        prediction = jax.vmap(lambda u: model(u, batch["y"]))(batch["u"])
        return jnp.mean((prediction - batch["s"]) ** 2)

    schedule = ScheduleConfig(name="exponential", decay_steps=1000, decay_rate=0.3)
    config = TrainConfig(
        steps=2000,
        chunk_size=1000,
        progress=False,
        optimizer=OptimizerConfig(learning_rate=2e-3, schedule=schedule),
    )
    model = DeepONet(100, 1, 40, key=getkey())
    result = fit(model, mse, config, key=getkey(), data=batch)
    test_batch = {k: jnp.asarray(test[k]) for k in ("u", "y", "s")}
    variance = float(jnp.var(test_batch["s"]))
    # paper: 9.3e-7 after full training; here 2000 steps must explain > 99% of the variance
    assert float(mse(result.model, test_batch)) < 1e-2 * variance
    np.testing.assert_array_less(float(mse(result.model, batch)), 1e-2 * variance)


def test_epoch_protocol_halves_learning_rate_per_epoch_not_per_step(getkey):
    # the FNO protocol halves lr every N *epochs*: with 5 steps per epoch and N = 2, the
    # rate logged after the last step of epoch e is lr * 0.5 ** ((5 e - 1) / 10), counted
    # across lax.scan chunks and independent of the batch size
    import equinox as eqx
    import jax

    from sciml_jax.sampling import MinibatchSampler
    from sciml_jax.train import epoch_protocol, fit

    data = {"x": jnp.linspace(0.0, 1.0, 10)[:, None], "y": jnp.zeros((10, 1))}
    sampler = MinibatchSampler(data, batch_size=2)
    base = TrainConfig(progress=False, optimizer=OptimizerConfig(name="adamw", learning_rate=1e-3))
    config = epoch_protocol(
        base, epochs=6, steps_per_epoch=sampler.steps_per_epoch, halve_every_epochs=2
    )
    assert config.steps == 30 and config.chunk_size == 5
    model = eqx.nn.Linear(1, 1, key=getkey())

    def loss(model, batch, key):
        return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)

    history = fit(model, loss, config, key=getkey(), sampler=sampler).history
    steps = np.array([record["step"] for record in history])
    np.testing.assert_array_equal(steps, 5 * np.arange(1, 7))
    logged = np.array([record["learning_rate"] for record in history])
    np.testing.assert_allclose(logged, 1e-3 * 0.5 ** ((steps - 1) / 10), rtol=1e-5)
