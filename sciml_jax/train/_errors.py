"""Errors raised by the training loop."""


class NonFiniteLossError(FloatingPointError):
    """A loss term or the gradient became NaN or infinite.

    The run stops before writing anything from the bad chunk, so the last checkpoint on
    disk is the last good state.
    """

    def __init__(self, step: int, term: str, value: float, checkpoint: str | None):
        self.step = step
        self.term = term
        self.value = value
        self.checkpoint = checkpoint
        kept = f"last good checkpoint: {checkpoint}" if checkpoint else "no checkpoint yet"
        super().__init__(
            f"loss term '{term}' became {value} at step {step}; training stopped ({kept}). "
            "Fix: lower the learning rate, set train.optimizer.clip_norm, or check the data "
            "and the loss for NaN/inf."
        )


class DivergenceError(FloatingPointError):
    """The loss grew beyond `train.divergence_factor` times its initial value.

    A finite loss can still be a failed run: a learning rate far too large sends it to
    1e13 or 1e50 without ever producing NaN. Like `NonFiniteLossError`, nothing from the
    bad chunk is written, so the last checkpoint on disk is the last good state.
    """

    def __init__(
        self,
        step: int,
        term: str,
        value: float,
        reference: float,
        factor: float,
        checkpoint: str | None,
        learning_rate: float | None = None,
    ):
        self.step = step
        self.term = term
        self.value = value
        self.reference = reference
        self.factor = factor
        self.checkpoint = checkpoint
        kept = f"last good checkpoint: {checkpoint}" if checkpoint else "no checkpoint yet"
        now = f" (now {learning_rate:g})" if learning_rate is not None else ""
        super().__init__(
            f"the loss diverged at step {step}: {value:.3e}, more than "
            f"train.divergence_factor = {factor:g} times its initial value {reference:.3e} "
            f"(largest term: '{term}'); training stopped ({kept}). Fix: lower "
            f"train.optimizer.learning_rate{now} or set train.optimizer.clip_norm; if the "
            "growth is expected, raise train.divergence_factor or set it to null."
        )
