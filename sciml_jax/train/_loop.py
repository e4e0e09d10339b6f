"""`fit`: the training loop, in jitted `lax.scan` chunks with host work between them."""

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
from jaxtyping import PyTree
from tqdm.auto import tqdm

from .._types import Key
from ..config import ConfigError, TrainConfig
from ..distributed import (
    active_mesh,
    constrain_leading,
    constrain_replicated,
    replicate,
    split_leading,
    to_local,
)
from ..sampling import AbstractSampler
from ._checkpoint import newest_intact_checkpoint, restore, save_checkpoint
from ._errors import DivergenceError, NonFiniteLossError
from ._optimizers import is_lbfgs, make_lbfgs, make_optimizer, make_schedule
from ._run_dir import RunDir
from ._state import AbstractWeighting, TrainState, unit_weights
from ._step import LossFn, as_terms, draw_batch, make_step, scan_steps


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What `fit` returns.

    - `model`: the trained model.
    - `state`: the final `TrainState` (for continuing by hand).
    - `history`: the logged records, one per chunk (as in metrics.jsonl).
    - `stopped_early`: whether early stopping ended the run.
    - `checkpoint`: the last checkpoint written, if any.
    """

    model: Any
    state: TrainState
    history: list[dict]
    stopped_early: bool
    checkpoint: Path | None


@dataclasses.dataclass(frozen=True)
class LoopState:
    """The host-side state of `fit` between chunks, stored in each checkpoint's meta.

    - `phase`: index of the optimizer phase (0: `config.optimizer`, 1: L-BFGS).
    - `best`: best value of `config.early_stopping_metric` so far (`None` before any).
    - `bad_intervals`: log intervals since `best` last improved.
    - `stopped_early`: whether early stopping has ended the run.
    - `initial_loss`: the loss at step 0, the divergence guard's reference.
    """

    phase: int = 0
    best: float | None = None
    bad_intervals: int = 0
    stopped_early: bool = False
    initial_loss: float | None = None

    @classmethod
    def from_meta(cls, meta: dict) -> "LoopState":
        """From a checkpoint's meta; keys an older checkpoint lacks keep their defaults."""
        return cls(**{f.name: meta[f.name] for f in dataclasses.fields(cls) if f.name in meta})


@dataclasses.dataclass(frozen=True)
class _Phase:
    optimizer: optax.GradientTransformation
    needs_value_fn: bool
    end_step: int
    schedule: Callable | None


def raw_key(key: Key) -> jax.Array:
    """Accept both typed (`jr.key`) and raw (`jr.PRNGKey`) keys; store the raw form."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return jr.key_data(key)
    return key


def term_names(loss_fn: LossFn, params, static, batch_shape, key) -> tuple[str, ...]:
    out = jax.eval_shape(
        lambda p, b: as_terms(loss_fn(eqx.combine(p, static), b, key)), params, batch_shape
    )
    for name, value in out.items():
        if value.shape != ():
            raise ValueError(
                f"loss term {name!r} has shape {value.shape}; each term must be a scalar "
                "(reduce it with jnp.mean inside the loss function)"
            )
    return tuple(out)


def initial_state(model, loss_fn, optimizer, key, data, sampler, weighting):
    """The `TrainState` at step 0 and the static part of the model."""
    if data is not None and sampler is not None:
        raise ValueError(
            "fit got both `data` and `sampler`; give one: fixed data, or a sampler that "
            "draws each batch (a sampler can hold fixed arrays as fields)"
        )
    key = raw_key(key)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    if not jax.tree.leaves(params):
        raise ValueError(
            f"the model ({type(model).__name__}) has no floating-point array leaves to train"
        )
    sampler_key = jr.split(key)[0]
    sampler_state = None if sampler is None else sampler.init(sampler_key)
    probe = TrainState(params, None, {}, jnp.zeros((), jnp.int32), key, sampler_state)
    batch_shape = jax.eval_shape(lambda s: draw_batch(s, data, sampler, key)[0], probe)
    names = term_names(loss_fn, params, static, batch_shape, key)
    weights = unit_weights(names) if weighting is None else weighting.init(names)
    state = dataclasses.replace(probe, opt_state=optimizer.init(params), weights=weights)
    return owned(state), static


def owned(tree: PyTree) -> PyTree:
    """A fresh, strongly typed copy of every array leaf.

    The loop donates the state's buffers, so the state must not share them with the
    caller's model or with each other (optax states may alias the parameters). Weak types
    are fixed to the leaf's dtype because optax's L-BFGS returns strongly typed counters
    after its first update: a weakly typed initial state would compile each chunk twice.
    """
    return jax.tree.map(
        lambda leaf: (
            jnp.array(leaf, dtype=leaf.dtype, copy=True) if isinstance(leaf, jax.Array) else leaf
        ),
        tree,
    )


def _first_bad(metrics: dict[str, np.ndarray], names: tuple[str, ...]) -> tuple[int, str] | None:
    """Index and name of the first non-finite metric; loss terms are named before totals."""
    order = [*names, "loss", "grad_norm"]
    first = None
    for name in dict.fromkeys(order):
        bad = np.flatnonzero(~np.isfinite(metrics[name]))
        if bad.size and (first is None or bad[0] < first[0]):
            first = (int(bad[0]), name)
    return first


def _diverged(
    metrics: dict[str, np.ndarray], names: tuple[str, ...], reference: float, factor: float
) -> tuple[int, str] | None:
    """Index of the first step whose loss exceeds `reference + factor * |reference|`, and
    the largest loss term at that step; `None` if none does (or the reference is 0)."""
    if reference == 0:
        return None
    over = np.flatnonzero(metrics["loss"] > reference + factor * abs(reference))
    if not over.size:
        return None
    index = int(over[0])
    return index, max(names, key=lambda name: float(metrics[name][index]))


def _laid_out(state: TrainState, mesh, split_members: bool, *, traced: bool) -> TrainState:
    """`state` on `mesh`: replicated, or for an ensemble its parameters and optimizer
    moments split by member. `traced`: as sharding constraints inside `jit`."""
    whole = constrain_replicated if traced else replicate
    split = constrain_leading if traced else split_leading
    state = whole(state, mesh)
    if not split_members:
        return state
    return dataclasses.replace(
        state, params=split(state.params, mesh), opt_state=split(state.opt_state, mesh)
    )


def _on_mesh(step, mesh, split_members: bool):
    """`step` with its batch kept split over `mesh` along the leading axis (collocation
    points, operator samples), and its state handed back laid out as it came (so each
    chunk reuses one executable). An ensemble split by members sees the whole batch."""
    if mesh is None:
        return step

    def step_on_mesh(state, batch, key):
        if not split_members:
            batch = constrain_leading(batch, mesh)
        state, metrics = step(state, batch, key)
        state = _laid_out(state, mesh, split_members, traced=True)
        return state, constrain_replicated(metrics, mesh)

    return step_on_mesh


def _check_members(model, mesh) -> bool:
    """Whether the model asks to be split by its leading (member) axis, checked against
    the mesh."""
    if mesh is None or not getattr(model, "shard_leading_axis", False):
        return False
    sizes = {leaf.shape[0] for leaf in jax.tree.leaves(eqx.filter(model, eqx.is_inexact_array))}
    devices = mesh.devices.size
    if any(size % devices for size in sizes):
        raise ValueError(
            f"an ensemble of {sorted(sizes)} members cannot be split evenly over {devices} "
            f"devices; expected a member count that is a multiple of the device count. Fix: "
            f"set devices to a divisor of the member count, or change the ensemble size"
        )
    return True


def _chunk_runner(step, sampler_static):
    def run(state, data, sampler_arrays, num_steps):
        sampler = None if sampler_static is None else eqx.combine(sampler_arrays, sampler_static)
        return scan_steps(step, state, data, sampler, num_steps)

    return jax.jit(run, static_argnames="num_steps", donate_argnums=0)


def fit(
    model: Any,
    loss_fn: LossFn,
    config: TrainConfig,
    *,
    key: Key,
    data: PyTree = None,
    sampler: AbstractSampler | None = None,
    run: RunDir | None = None,
    eval_fn: Callable[[Any], dict[str, float]] | None = None,
    weighting: AbstractWeighting | None = None,
    frozen: PyTree | None = None,
    optimizer: optax.GradientTransformation | None = None,
    mesh: jax.sharding.Mesh | None = None,
) -> FitResult:
    """Train `model` by minimising `loss_fn`, resuming from `run`'s last checkpoint.

    Steps run on the device in `lax.scan` chunks of `config.chunk_size` (one jitted call
    each). Between chunks the loop checks every loss term and the gradient norm for
    NaN/inf, logs one line to `metrics.jsonl`, evaluates, applies early stopping, writes
    checkpoints atomically and updates the progress bar. With `config.lbfgs_steps > 0`
    an L-BFGS phase follows the first optimizer. When its batch is fixed (`data`, or a
    sampler whose `fixed_from` says so), L-BFGS takes each step's loss and gradient from
    its line search's last evaluation, one evaluation per step instead of two; its loss
    must then be a function of the parameters alone (not of the step key).

    A run killed at any moment and resumed with the same arguments reaches bit-identical
    parameters on the same machine: step `s` uses `fold_in(key, s)` and the chunks fall on
    the same step boundaries.

    **Arguments:**

    - `model`: an equinox Module; its floating-point arrays are trained.
    - `loss_fn`: `loss_fn(model, batch, key)` -> scalar or dict of named scalar terms.
    - `config`: a `TrainConfig`.
    - `key`: a JAX PRNG key (the run's randomness).
    - `data`: a fixed batch used at every step, or
    - `sampler`: an `AbstractSampler` that draws a batch at every step.
    - `run`: a `RunDir` for logs and checkpoints (none written if `None`).
    - `eval_fn`: `eval_fn(model) -> dict` logged every `config.eval_every` steps.
    - `weighting`: adaptive loss-term weights (`AbstractWeighting`).
    - `frozen`: PyTree of bools shaped like `model`; `True` marks leaves not to train.
    - `optimizer`: an optax transformation that replaces `config.optimizer`.
    - `mesh`: devices to train on (default: `distributed.active_mesh()`, which the
      config's `devices` key sets). The model is replicated and each batch split along
      its leading axis (leaves that do not divide evenly are replicated); a model with
      `shard_leading_axis = True` (`uq.Ensemble`) is split by members instead. Results
      equal the one-device run to reduction order; the returned model is on one device.

    **Returns:** a `FitResult`.

    A run resumes from the newest checkpoint that passes its checksum; a corrupt one is
    set aside with a `CorruptCheckpointWarning`. The divergence guard stops the run when
    the loss exceeds `config.divergence_factor` times its value at step 0.

    **Raises:** `NonFiniteLossError` naming the step and the term that went bad;
    `DivergenceError` naming the step, the largest term and the fix; `ConfigError` for
    `steps + lbfgs_steps == 0` (nothing to train).

    **Example:**

    ```python
    model = eqx.nn.MLP(1, 1, 32, 2, key=jr.key(0))
    loss = lambda m, batch, key: jnp.mean((jax.vmap(m)(batch["x"]) - batch["y"]) ** 2)
    result = fit(model, loss, TrainConfig(steps=2000), key=jr.key(1), data={"x": x, "y": y})
    ```
    """
    if config.steps + config.lbfgs_steps == 0:
        raise ConfigError(
            "got 0 (and train.lbfgs_steps = 0): nothing to train; expected train.steps >= 1 "
            "or train.lbfgs_steps >= 1 (steps: 0 is only for experiments that do not "
            "train). Fix: set train.steps, e.g. train.steps=1000",
            key="train.steps",
        )
    if config.eval_every is not None and eval_fn is None:
        raise ValueError("train.eval_every is set but fit got no eval_fn; pass one or unset it")
    phases = [
        _Phase(
            optimizer=optimizer
            or make_optimizer(config.optimizer, lbfgs_memory=config.lbfgs_memory),
            needs_value_fn=optimizer is None and is_lbfgs(config.optimizer),
            end_step=config.steps,
            schedule=None
            if optimizer is not None or is_lbfgs(config.optimizer)
            else make_schedule(config.optimizer.schedule, config.optimizer.learning_rate),
        )
    ]
    if config.lbfgs_steps:
        phases.append(
            _Phase(make_lbfgs(config.lbfgs_memory), True, config.steps + config.lbfgs_steps, None)
        )

    state, static = initial_state(
        model, loss_fn, phases[0].optimizer, key, data, sampler, weighting
    )
    names = tuple(state.weights)
    frozen_params = None
    if frozen is not None:
        frozen_params, _ = eqx.partition(frozen, jax.tree.map(eqx.is_inexact_array, model))
    sampler_arrays, sampler_static = eqx.partition(sampler, eqx.is_array)
    data_arrays = data
    mesh = active_mesh() if mesh is None else mesh
    if mesh is not None and mesh.devices.size == 1:
        mesh = None
    split_members = _check_members(model, mesh)
    if mesh is not None:
        # Fixed data is split like the batches it stands for; an ensemble sees it whole.
        data_arrays = replicate(data, mesh) if split_members else split_leading(data, mesh)
        sampler_arrays = replicate(sampler_arrays, mesh)

    def on_mesh(state):
        return state if mesh is None else _laid_out(state, mesh, split_members, traced=False)

    loop = LoopState()
    history: list[dict] = []
    last_checkpoint = None
    resumed = False
    if run is not None and (
        found := newest_intact_checkpoint(run.checkpoints_dir, set_aside=run.writes_checkpoints)
    ):
        last_checkpoint, stored, meta = found
        loop = LoopState.from_meta(meta)
        phase = phases[loop.phase]
        template = dataclasses.replace(state, opt_state=phase.optimizer.init(state.params))
        state = restore(last_checkpoint, stored, template)
        run.truncate_metrics(int(state.step))
        history = run.read_metrics()
        resumed = True
    elif run is not None and run.metrics_path.exists():
        # Killed before its first checkpoint: the lines it logged are recomputed.
        run.truncate_metrics(0)

    def checkpoint():
        nonlocal last_checkpoint
        # Every process gathers (a collective across processes); one writes.
        whole = state if mesh is None else to_local(state)
        if run is not None and run.writes_checkpoints:
            last_checkpoint = save_checkpoint(
                run.checkpoints_dir,
                int(state.step),
                whole,
                dataclasses.asdict(loop),
                config.keep_last,
            )

    total_steps = phases[-1].end_step
    bar = tqdm(
        total=total_steps,
        initial=int(state.step),
        unit="step",
        disable=not config.progress,
        dynamic_ncols=True,
        leave=True,
    )
    start_time = time.perf_counter()
    try:
        for phase_index, phase in enumerate(phases):
            if phase_index < loop.phase or loop.stopped_early:
                continue
            if phase_index > 0 and not (resumed and phase_index == loop.phase):
                state = owned(
                    dataclasses.replace(state, opt_state=phase.optimizer.init(state.params))
                )
            state = on_mesh(state)
            loop = dataclasses.replace(loop, phase=phase_index)
            phase_start = 0 if phase_index == 0 else phases[phase_index - 1].end_step
            step = make_step(
                loss_fn,
                phase.optimizer,
                static,
                needs_value_fn=phase.needs_value_fn,
                # A line search evaluated the loss where it stepped to; with a fixed
                # batch that is the next step's loss and gradient: half the L-BFGS work.
                reuse_linesearch_value=phase.needs_value_fn
                and (sampler is None or sampler.fixed_from(phase_start)),
                weighting=weighting,
                frozen=frozen_params,
            )
            run_chunk = _chunk_runner(_on_mesh(step, mesh, split_members), sampler_static)
            while int(state.step) < phase.end_step:
                first_step = int(state.step)
                num_steps = min(config.chunk_size, phase.end_step - first_step)
                tick = time.perf_counter()
                state, metrics = run_chunk(state, data_arrays, sampler_arrays, num_steps)
                metrics = jax.device_get(metrics)
                seconds = time.perf_counter() - tick
                bad = _first_bad(metrics, names)
                if bad is not None:
                    index, name = bad
                    raise NonFiniteLossError(
                        first_step + index,
                        name,
                        float(metrics[name][index]),
                        None if last_checkpoint is None else str(last_checkpoint),
                    )
                if loop.initial_loss is None:
                    # Step 0's loss on a fresh run; an older checkpoint without it takes
                    # the first loss after resuming.
                    loop = dataclasses.replace(loop, initial_loss=float(metrics["loss"][0]))
                if config.divergence_factor is not None and (
                    diverged := _diverged(
                        metrics, names, loop.initial_loss, config.divergence_factor
                    )
                ):
                    index, name = diverged
                    raise DivergenceError(
                        first_step + index,
                        name,
                        float(metrics["loss"][index]),
                        loop.initial_loss,
                        config.divergence_factor,
                        None if last_checkpoint is None else str(last_checkpoint),
                        learning_rate=None
                        if optimizer is not None
                        else config.optimizer.learning_rate,
                    )
                now = first_step + num_steps
                record = {"step": now, **{k: float(v[-1]) for k, v in metrics.items()}}
                if phase.schedule is not None:
                    record["learning_rate"] = float(phase.schedule(now - 1))
                record["steps_per_s"] = num_steps / seconds
                record["wall_time"] = time.perf_counter() - start_time
                if eval_fn is not None and config.eval_every and now % config.eval_every == 0:
                    evaluation = eval_fn(eqx.combine(state.params, static))
                    record.update({k: float(v) for k, v in evaluation.items()})
                history.append(record)
                if run is not None:
                    run.log(record)
                if config.early_stopping_patience is not None:
                    loop = _early_stopping(loop, record, config)
                at_end = now == phase.end_step or loop.stopped_early
                if at_end or now % config.checkpoint_every == 0:
                    checkpoint()
                bar.update(num_steps)
                bar.set_postfix(
                    {k: f"{record[k]:.3e}" for k in ("loss", *names) if k in record}, refresh=False
                )
                if loop.stopped_early:
                    break
    finally:
        bar.close()
    params = state.params if mesh is None else to_local(state.params)
    return FitResult(
        model=eqx.combine(params, static),
        state=state,
        history=history,
        stopped_early=loop.stopped_early,
        checkpoint=last_checkpoint,
    )


def _early_stopping(loop: LoopState, record: dict, config: TrainConfig) -> LoopState:
    """`loop` after one logged `record`: a new best, or one more interval without gain."""
    metric = config.early_stopping_metric
    if metric not in record:
        raise ValueError(
            f"train.early_stopping_metric = {metric!r} is not among the logged metrics "
            f"({', '.join(sorted(record))}); choose one of those"
        )
    value = record[metric]
    if loop.best is None or value < loop.best - config.early_stopping_min_delta:
        return dataclasses.replace(loop, best=value, bad_intervals=0)
    bad_intervals = loop.bad_intervals + 1
    return dataclasses.replace(
        loop,
        bad_intervals=bad_intervals,
        stopped_early=bad_intervals >= config.early_stopping_patience,
    )
