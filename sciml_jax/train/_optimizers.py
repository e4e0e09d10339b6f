"""optax optimizers and learning-rate schedules chosen by name from a config."""

import typing

import optax

from ..config import OptimizerConfig, ScheduleConfig
from ._langevin import psgld, sgld


def make_schedule(config: ScheduleConfig, learning_rate: float) -> optax.Schedule:
    """The learning rate as a function of the step, as described by `config`."""
    names = typing.get_args(typing.get_type_hints(ScheduleConfig)["name"])
    if config.name not in names:
        raise ValueError(
            f"unknown schedule {config.name!r}; expected one of {', '.join(names)} "
            "(train.optimizer.schedule.name)."
        )
    if config.name == "constant":
        return optax.constant_schedule(learning_rate)
    if config.name == "warmup_cosine":
        return optax.warmup_cosine_decay_schedule(
            init_value=0.0,
            peak_value=learning_rate,
            warmup_steps=config.warmup_steps,
            decay_steps=config.warmup_steps + config.decay_steps,
            end_value=config.end_value,
        )
    decay = optax.exponential_decay(
        init_value=learning_rate,
        transition_steps=config.decay_steps,
        decay_rate=config.decay_rate,
    )
    if config.name == "exponential":
        return decay
    warmup = optax.linear_schedule(0.0, learning_rate, max(config.warmup_steps, 1))
    return optax.join_schedules([warmup, decay], [config.warmup_steps])


def make_optimizer(
    config: OptimizerConfig, *, lbfgs_memory: int = 20
) -> optax.GradientTransformation:
    """An optax optimizer from its config, with gradient clipping in front if asked.

    **Arguments:**

    - `config`: name (`adam`, `adamw`, `sgd`, `lbfgs`, and the Langevin samplers `sgld`,
      `psgld` with `temperature` and `noise_seed`), learning rate and schedule, betas,
      weight decay, momentum, `clip_norm`. With `adamw` the weight decay is decoupled
      (``w -= lr * wd * w``); with `adam` and `sgd` it is an L2 penalty added to the
      gradient before the update, as PyTorch's ``Adam(weight_decay=...)``, which the
      reference FNO code trains with. The two differ a lot under Adam: the L2 gradient is
      normalised with the rest, so it drives weights that the loss barely uses towards zero.
    - `lbfgs_memory`: the L-BFGS history length.

    **Returns:** an `optax.GradientTransformation`. L-BFGS (optax's `lbfgs` with its zoom
    line search) needs `value`, `grad` and `value_fn` in `update`; `is_lbfgs` tells
    the training step to pass them.

    **Example:**

    ```python
    optimizer = make_optimizer(OptimizerConfig(name="adam", learning_rate=1e-3))
    ```
    """
    schedule = make_schedule(config.schedule, config.learning_rate)
    if config.name == "adam":
        optimizer = optax.adam(schedule, b1=config.b1, b2=config.b2)
    elif config.name == "adamw":
        optimizer = optax.adamw(
            schedule, b1=config.b1, b2=config.b2, weight_decay=config.weight_decay
        )
    elif config.name == "sgd":
        optimizer = optax.sgd(schedule, momentum=config.momentum or None)
    elif config.name == "lbfgs":
        optimizer = make_lbfgs(lbfgs_memory)
    elif config.name == "sgld":
        optimizer = sgld(schedule, config.temperature, seed=config.noise_seed)
    elif config.name == "psgld":
        optimizer = psgld(schedule, config.temperature, decay=config.b2, seed=config.noise_seed)
    else:
        raise ValueError(
            f"unknown optimizer {config.name!r}; expected adam, adamw, sgd, lbfgs, sgld or psgld"
        )
    if config.weight_decay > 0 and config.name in ("adam", "sgd", "sgld", "psgld"):
        optimizer = optax.chain(optax.add_decayed_weights(config.weight_decay), optimizer)
    if config.clip_norm is not None:
        optimizer = optax.chain(optax.clip_by_global_norm(config.clip_norm), optimizer)
    return optimizer


def make_lbfgs(memory_size: int = 20) -> optax.GradientTransformation:
    """optax's L-BFGS with the strong-Wolfe zoom line search (learning rate chosen by it)."""
    return optax.lbfgs(
        memory_size=memory_size,
        linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=25),
    )


def is_lbfgs(config: OptimizerConfig) -> bool:
    return config.name == "lbfgs"
