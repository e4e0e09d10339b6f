"""One config on 1, 2 and 4 devices (conftest forces 4 CPU devices): the same numbers.

Sharding changes only the order of the reductions, so in float64 the losses of the first
steps agree to ~1e-15 and parameters after 60 Adam steps to 1e-10 (later, Adam's sign-like
updates of near-zero gradients amplify rounding differences, as between any two BLAS).
"""

import json

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.cli import main
from sciml_jax.config import ConfigError, TrainConfig, apply_overrides, load_yaml, parse_config
from sciml_jax.distributed import active_device_count, active_mesh, sweep, use_devices
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.losses import dirichlet_loss, residual_loss
from sciml_jax.nn import MLP
from sciml_jax.pde import Burgers
from sciml_jax.sampling import CollocationSampler
from sciml_jax.train import fit
from sciml_jax.uq import Ensemble, ensemble_loss
from sciml_jax.workflow import load_experiment

STEPS = TrainConfig(steps=60, chunk_size=20, progress=False)


def flat(model) -> np.ndarray:
    return np.concatenate([np.ravel(x) for x in jax.tree.leaves(eqx.filter(model, eqx.is_array))])


def squared_error(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def burgers_pinn(devices: int):
    """A Burgers PINN whose collocation points are redrawn inside the jitted loop."""
    pde = Burgers(viscosity=0.01 / np.pi)
    domain = TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)
    sampler = CollocationSampler(domain, 64, 16, 32, resample=True)

    def loss(model, batch, key):
        return {
            "residual": residual_loss(pde.residual, model, batch["interior"]),
            "initial": dirichlet_loss(model, batch["initial"], pde.initial),
            "boundary": dirichlet_loss(model, batch["boundary"], pde.boundary),
        }

    model = MLP(2, "scalar", 16, 2, key=jr.key(0))
    with use_devices(devices):
        return fit(model, loss, STEPS, key=jr.key(1), sampler=sampler)


@pytest.mark.parametrize("devices", [2])  # 4 devices: the CLI test below
def test_pinn_with_points_drawn_in_the_loop_matches_one_device(x64, devices):
    one, many = burgers_pinn(1), burgers_pinn(devices)
    np.testing.assert_allclose(
        [r["loss"] for r in many.history], [r["loss"] for r in one.history], rtol=1e-12
    )
    np.testing.assert_allclose(flat(many.model), flat(one.model), rtol=1e-10, atol=1e-12)
    # It did run on the mesh: the final state is spread over every device...
    leaf = jax.tree.leaves(many.state.params)[0]
    assert len(leaf.sharding.device_set) == devices
    # ...and the returned model is back on one device, ready for plain evaluation.
    assert all(len(x.sharding.device_set) == 1 for x in jax.tree.leaves(many.model))


def fit_ensemble(devices: int, members: int = 4):
    x = jnp.linspace(-1, 1, 32)[:, None]
    ensemble = Ensemble.build(lambda k: eqx.nn.MLP(1, 1, 8, 2, key=k), jr.key(0), members)
    with use_devices(devices):
        return fit(
            ensemble,
            ensemble_loss(squared_error),
            STEPS,
            key=jr.key(2),
            data={"x": x, "y": jnp.sin(3 * x)},
        )


def test_ensemble_members_are_split_across_devices(x64):
    one, four = fit_ensemble(1), fit_ensemble(4)
    np.testing.assert_allclose(flat(four.model), flat(one.model), rtol=1e-10, atol=1e-12)
    weight = four.state.params.members.layers[0].weight  # (members, 8, 1)
    # Each device holds one member's weights, not a copy of all four.
    assert {shard.data.shape[0] for shard in weight.addressable_shards} == {1}
    assert len(weight.sharding.device_set) == 4


def test_an_ensemble_that_does_not_divide_over_the_devices_is_refused():
    expected = r"ensemble of \[3\] members cannot be split evenly over 2"
    with pytest.raises(ValueError, match=expected):
        fit_ensemble(2, members=3)


def test_a_batch_that_does_not_divide_is_replicated_and_still_exact(x64):
    x = jnp.linspace(-1, 1, 30)[:, None]  # 30 points over 4 devices: replicated
    results = []
    for devices in (1, 4):
        with use_devices(devices):
            model = eqx.nn.MLP(1, 1, 8, 2, key=jr.key(0))
            data = {"x": x, "y": x**2}
            results.append(fit(model, squared_error, STEPS, key=jr.key(1), data=data))
    np.testing.assert_allclose(flat(results[1].model), flat(results[0].model), rtol=1e-10)


def test_use_devices_sets_and_restores_the_mesh():
    assert active_mesh() is None and active_device_count() is None
    with use_devices("all") as mesh:
        assert mesh.devices.size == jax.device_count() == 4
        with use_devices(1):
            assert active_mesh() is None and active_device_count() == 1
        assert active_mesh() is mesh
    assert active_mesh() is None


@pytest.mark.parametrize("bad", [0, -2, "two", True])
def test_bad_device_counts_name_the_fix(bad):
    with pytest.raises(ValueError, match="expected 'all' or a positive integer"):
        with use_devices(bad):
            pass


def test_more_devices_than_visible_names_xla_flags():
    with pytest.raises(ValueError, match="xla_force_host_platform_device_count"):
        with use_devices(8):
            pass


def test_sweep_uses_the_runs_device_count():
    decay = lambda rate: jnp.exp(-rate * jnp.arange(3.0))
    rates = jnp.linspace(0.1, 1.0, 8)
    with use_devices(2):
        out = sweep(decay, rates)
        assert len(out.sharding.device_set) == 2
    np.testing.assert_allclose(out, jnp.exp(-rates[:, None] * jnp.arange(3.0)), rtol=1e-6)


def test_devices_key_parses_counts_and_all_and_refuses_the_rest(tmp_path):
    experiment = load_experiment("regression")
    raw = load_yaml("configs/regression.yaml")
    assert parse_config(experiment.Config, raw).devices == 1
    with_devices = lambda value: apply_overrides(raw, [f"devices={value}"], source="test")
    for value, parsed in (("4", 4), ("all", "all")):
        assert parse_config(experiment.Config, with_devices(value)).devices == parsed
    for value in ("0", "two", "1.5"):
        with pytest.raises(ConfigError, match="devices"):
            parse_config(experiment.Config, with_devices(value))


def run_regression(tmp_path, devices) -> tuple[list[float], dict]:
    name = f"d{devices}"
    code = main(
        [
            "run",
            "configs/regression.yaml",
            "precision=float64",
            "train.steps=60",
            "train.chunk_size=20",
            "train.checkpoint_every=20",
            "train.eval_every=null",
            "train.progress=false",
            f"devices={devices}",
            f"output_dir={tmp_path}",
            f"name={name}",
        ]
    )
    assert code == 0
    folder = tmp_path / "regression" / name
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    losses = [json.loads(line)["loss"] for line in lines]
    return losses, json.loads((folder / "summary.json").read_text())


def test_the_cli_devices_override_gives_the_one_device_run(tmp_path):
    try:
        losses_1, summary_1 = run_regression(tmp_path, 1)
        losses_4, summary_4 = run_regression(tmp_path, 4)
    finally:
        jax.config.update("jax_enable_x64", False)
    np.testing.assert_allclose(losses_4, losses_1, rtol=1e-12)
    assert summary_4["test_rel_l2"] == pytest.approx(summary_1["test_rel_l2"], rel=1e-10)
    for summary in (summary_1, summary_4):
        assert summary["compile_s"] > 0 and summary["run_s"] > 0
        assert summary["compile_s"] + summary["run_s"] == pytest.approx(
            summary["wall_time_s"], rel=0.05
        )
