"""Epoch-based protocols on top of the step-based engine (the FNO training recipe)."""

import dataclasses

from ..config import ScheduleConfig


def epoch_protocol(
    train,
    *,
    epochs: int,
    steps_per_epoch: int,
    halve_every_epochs: int | None,
    log_every_epochs: int = 1,
):
    """A `TrainConfig` for epoch-based operator training (the FNO protocol).

    Li et al. train for 500 epochs with Adam (lr 1e-3, weight decay 1e-4) and halve the
    learning rate every 100 epochs. Here the halving is the smooth
    ``lr * 0.5 ** (step / (halve_every_epochs * steps_per_epoch))`` (same rate, no
    staircase); ``halve_every_epochs=None`` keeps `train`'s own schedule. Steps, the log
    interval (`log_every_epochs` epochs) and the checkpoint interval are set in steps.

    **Returns:** a new `TrainConfig`.
    """
    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(f"epochs={epochs}, steps_per_epoch={steps_per_epoch}; both must be >= 1.")
    chunk = steps_per_epoch * max(1, min(log_every_epochs, epochs))
    checkpoint_every = chunk * max(1, round(train.checkpoint_every / chunk))
    optimizer = train.optimizer
    if halve_every_epochs is not None:
        schedule = ScheduleConfig(
            name="exponential", decay_rate=0.5, decay_steps=halve_every_epochs * steps_per_epoch
        )
        optimizer = dataclasses.replace(optimizer, schedule=schedule)
    eval_every = (
        None if train.eval_every is None else chunk * max(1, round(train.eval_every / chunk))
    )
    return dataclasses.replace(
        train,
        steps=epochs * steps_per_epoch,
        chunk_size=chunk,
        checkpoint_every=checkpoint_every,
        optimizer=optimizer,
        eval_every=eval_every,
    )


def seconds_per_epoch(history: list[dict], steps_per_epoch: int) -> float:
    """Median training seconds per epoch over the logged chunks, the first (compile) excluded."""
    rates = [record["steps_per_s"] for record in history[1:]] or [
        record["steps_per_s"] for record in history
    ]
    rates = sorted(rates)
    return steps_per_epoch / rates[len(rates) // 2]
