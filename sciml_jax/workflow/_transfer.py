"""Pieces shared by experiments that compare several fits of one run (transfer learning)."""

from ..train import RunDir


def steps_to_error(curve: list[tuple[int, float]], error: float) -> int | None:
    """The first step of `curve` `[(step, error), ...]` whose error is `<= error`, or None."""
    return next((step for step, value in curve if value <= error), None)


def sub_run(run: RunDir | None, name: str) -> RunDir | None:
    """A run folder of its own per fit, so each resumes from its own checkpoints."""
    return None if run is None else RunDir(run.path / name)
