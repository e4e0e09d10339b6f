"""The configuration sections every experiment shares: run identity and training."""

from dataclasses import dataclass, field
from typing import Literal

from ._spec import spec


@dataclass(frozen=True)
class ScheduleConfig:
    """Learning-rate schedule.

    - `constant`: the optimizer's learning rate throughout.
    - `warmup_cosine`: linear warmup from 0 over `warmup_steps`, then cosine decay to
      `end_value` over the remaining `decay_steps`.
    - `warmup_exponential`: linear warmup, then `lr * decay_rate ** (step / decay_steps)`.
    - `exponential`: `lr * decay_rate ** (step / decay_steps)` from the start.
    """

    name: Literal["constant", "warmup_cosine", "warmup_exponential", "exponential"] = "constant"
    warmup_steps: int = spec(0, ge=0)
    decay_steps: int = spec(1000, ge=1)
    decay_rate: float = spec(0.9, gt=0.0, le=1.0)
    end_value: float = spec(0.0, ge=0.0, doc="final learning rate of the cosine schedule")


@dataclass(frozen=True)
class OptimizerConfig:
    """An optax optimizer chosen by name, with optional gradient clipping.

    `sgld` and `psgld` are Langevin samplers (`train.sgld`, `train.psgld`): the learning
    rate is the step size, `temperature` the Gibbs temperature, `noise_seed` the seed of
    the noise kept in the optimizer state; `psgld` uses `b2` as its RMS decay.
    """

    name: Literal["adam", "adamw", "sgd", "lbfgs", "sgld", "psgld"] = "adam"
    learning_rate: float = spec(1e-3, gt=0.0)
    b1: float = spec(0.9, ge=0.0, lt=1.0)
    b2: float = spec(0.999, ge=0.0, lt=1.0)
    weight_decay: float = spec(
        0.0, ge=0.0, doc="adamw: decoupled decay; adam, sgd: L2 added to the gradient"
    )
    momentum: float = spec(0.0, ge=0.0, lt=1.0, doc="sgd momentum")
    clip_norm: float | None = spec(None, gt=0.0, doc="clip gradients to this global norm")
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    temperature: float = spec(1.0, ge=0.0, doc="sgld/psgld: temperature T of exp(-U/T)")
    noise_seed: int = spec(0, ge=0, doc="sgld/psgld: seed of the Langevin noise")

    def __post_init__(self):
        if self.weight_decay > 0 and self.name == "lbfgs":
            raise ValueError(
                f"weight_decay={self.weight_decay} with lbfgs; L-BFGS takes no weight decay: "
                "add an explicit penalty to the loss or set weight_decay: 0."
            )


@dataclass(frozen=True)
class TrainConfig:
    """How long and how to train, and how often to log, evaluate and checkpoint.

    Steps run on the device in `lax.scan` chunks of `chunk_size`; logging, evaluation,
    early stopping and checkpoints happen between chunks, so `eval_every` and
    `checkpoint_every` must be multiples of `chunk_size`.

    `steps: 0` (with `lbfgs_steps: 0`) is for experiments that do not train, such as the
    simulator presets; `fit` refuses it. The divergence guard stops a run at the first
    step whose loss exceeds `initial + divergence_factor * |initial|` (`initial`: the loss
    at step 0), so a learning rate far too large ends in an error, not in "completed".
    """

    steps: int = spec(1000, ge=0)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    lbfgs_steps: int = spec(0, ge=0, doc="L-BFGS steps after the first optimizer")
    lbfgs_memory: int = spec(20, ge=1, doc="L-BFGS history length")
    chunk_size: int = spec(100, ge=1, doc="steps per lax.scan chunk (the log interval)")
    checkpoint_every: int = spec(1000, ge=1)
    keep_last: int = spec(3, ge=1, doc="checkpoints kept on disk")
    eval_every: int | None = spec(None, ge=1)
    early_stopping_patience: int | None = spec(None, ge=1, doc="log intervals without gain")
    early_stopping_min_delta: float = spec(0.0, ge=0.0)
    early_stopping_metric: str = "loss"
    divergence_factor: float | None = spec(
        1e6,
        gt=1.0,
        doc="stop when the loss exceeds this many times its initial value; null: never",
    )
    progress: bool = True

    def __post_init__(self):
        for name in ("checkpoint_every", "eval_every"):
            every = getattr(self, name)
            if every is not None and every % self.chunk_size != 0:
                raise ValueError(
                    f"train.{name} = {every} must be a multiple of train.chunk_size = "
                    f"{self.chunk_size}; set train.{name} to "
                    f"{max(1, round(every / self.chunk_size)) * self.chunk_size}"
                )


@dataclass(frozen=True)
class RunConfig:
    """Fields every experiment config has. Experiments subclass it to add sections."""

    experiment: str = ""
    name: str | None = spec(None, doc="run name; default: config file name + time stamp")
    seed: int = spec(0, ge=0)
    precision: Literal["float32", "float64"] = "float32"
    devices: int | Literal["all"] = spec(
        1, ge=1, doc="devices to run on: a count, or all (every process's, with --processes)"
    )
    output_dir: str = "runs"
    train: TrainConfig = field(default_factory=TrainConfig)
