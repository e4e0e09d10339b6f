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
