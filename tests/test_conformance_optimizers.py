"""One battery for every optimizer and schedule name the training engine accepts (issue 15).

The names are read from the `Literal` types of `OptimizerConfig.name` and
`ScheduleConfig.name`, the allowed values of the config files, so a name added there is
run here with no edit: it must minimise a convex quadratic through `fit`, and a schedule
must have its closed form in `SCHEDULES` below (a new one fails until it is written).
"""

import math
import typing

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.config import ConfigError, OptimizerConfig, ScheduleConfig, TrainConfig, parse_config
from sciml_jax.train import fit, make_optimizer, make_schedule

OPTIMIZER_NAMES = typing.get_args(typing.get_type_hints(OptimizerConfig)["name"])
SCHEDULE_NAMES = typing.get_args(typing.get_type_hints(ScheduleConfig)["name"])

# Settings per optimizer; a name without an entry runs with the defaults below.
SETTINGS = {
    "adam": dict(learning_rate=0.1),
    "adamw": dict(learning_rate=0.1),
    "sgd": dict(learning_rate=0.05, momentum=0.5),
    # Langevin samplers at temperature 0 are (preconditioned) gradient descent.
    "sgld": dict(learning_rate=0.05, temperature=0.0),
    "psgld": dict(
        learning_rate=0.05,
        temperature=0.0,
        schedule=ScheduleConfig(name="exponential", decay_steps=100, decay_rate=0.1),
    ),
}
DEFAULT_SETTINGS = dict(learning_rate=0.05)

# f(p) = 1/2 (p - p*)^T diag(CURVATURE) (p - p*): minimiser p*, minimum 0, condition 10.
CURVATURE = jnp.array([1.0, 3.0, 10.0])
MINIMISER = jnp.array([1.5, -2.0, 0.5])


class Point(eqx.Module):
    p: jax.Array


def quadratic(model, batch, key):
    return 0.5 * jnp.sum(CURVATURE * (model.p - MINIMISER) ** 2)


def test_registry_reads_the_config_names():
    assert {"adam", "adamw", "sgd", "lbfgs"} <= set(OPTIMIZER_NAMES)
    assert {"constant", "warmup_cosine"} <= set(SCHEDULE_NAMES)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_optimizer_minimises_a_convex_quadratic(name, getkey):
    optimizer = OptimizerConfig(name=name, **SETTINGS.get(name, DEFAULT_SETTINGS))
    config = TrainConfig(steps=400, optimizer=optimizer, chunk_size=100, progress=False)
    start = Point(jnp.zeros(3))
    result = fit(start, quadratic, config, key=getkey())
    np.testing.assert_allclose(result.model.p, MINIMISER, atol=1e-3)
    losses = [record["loss"] for record in result.history]
    assert losses[-1] <= 1e-6 * float(quadratic(start, None, None))


# Closed forms of every schedule: lr(step) for peak `lr` and the fields of `config`.
def _warmup(step, config, lr):
    return lr * step / config.warmup_steps


def _cosine(step, config, lr):
    if step < config.warmup_steps:
        return _warmup(step, config, lr)
    fraction = min(step - config.warmup_steps, config.decay_steps) / config.decay_steps
    return config.end_value + (lr - config.end_value) * 0.5 * (1 + math.cos(math.pi * fraction))


def _exponential(step, config, lr):
    return lr * config.decay_rate ** (step / config.decay_steps)


def _warmup_exponential(step, config, lr):
    if step < config.warmup_steps:
        return _warmup(step, config, lr)
    return _exponential(step - config.warmup_steps, config, lr)


SCHEDULES = {
    "constant": lambda step, config, lr: lr,
    "warmup_cosine": _cosine,
    "exponential": _exponential,
    "warmup_exponential": _warmup_exponential,
}


@pytest.mark.parametrize("name", SCHEDULE_NAMES)
def test_schedule_matches_closed_form(name):
    assert name in SCHEDULES, f"schedule {name!r} has no closed form in SCHEDULES; add one"
    config = ScheduleConfig(
        name=name, warmup_steps=10, decay_steps=100, decay_rate=0.5, end_value=0.01
    )
    lr = 0.3
    schedule = make_schedule(config, lr)
    for step in (0, 4, 10, 37, 110, 250):
        expected = SCHEDULES[name](step, config, lr)
        np.testing.assert_allclose(schedule(step), expected, rtol=1e-5, atol=1e-8)


def test_unknown_optimizer_name_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown optimizer 'nadam'.*adam"):
        make_optimizer(OptimizerConfig(name="nadam"))
    with pytest.raises(ConfigError, match="nadam"):
        parse_config(TrainConfig, {"optimizer": {"name": "nadam"}}, source="run.yaml")


def test_unknown_schedule_name_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="cosine"):
        parse_config(ScheduleConfig, {"name": "cosine"}, source="run.yaml")
    with pytest.raises(ValueError, match=r"unknown schedule 'cosine'.*warmup_cosine"):
        make_schedule(ScheduleConfig(name="cosine"), 1e-3)
