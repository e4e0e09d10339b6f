"""Pieces shared by experiments that compare several fits of one run (transfer learning)."""

from ..train import RunDir


def steps_to_error(curve: list[tuple[int, float]], error: float) -> int | None:
    """The first step of `curve` `[(step, error), ...]` whose error is `<= error`, or None."""
    return next((step for step, value in curve if value <= error), None)


def sub_run(run: RunDir | None, name: str) -> RunDir | None:
    """A run folder of its own per fit, so each resumes from its own checkpoints."""
    return None if run is None else RunDir(run.path / name)


def best_point(curve: list[tuple[int, float]]) -> tuple[int, float]:
    """The `(step, error)` of `curve` with the smallest error (the earliest on a tie)."""
    return min(curve, key=lambda pair: (pair[1], pair[0]))


def transfer_scores(curve: list[tuple[int, float]], scratch_curve: list[tuple[int, float]]):
    """How a fine-tuning `curve` compares with training from scratch: the first step at
    which it reaches the scratch run's best error, that step over the scratch run's
    (None: never reached, or scratch never improved on its initial error), whether the
    ratio is at most one third, and the fine-tune's best and final errors."""
    best_step, best_error = best_point(scratch_curve)
    steps = steps_to_error(curve, best_error)
    ratio = None if steps is None or best_step == 0 else steps / best_step
    return {
        "steps_to_scratch_error": steps,
        "ratio": ratio,
        "ratio_at_most_one_third": ratio is not None and ratio <= 1 / 3,
        "finetune": {
            "best_test_rel_l2": min(value for _, value in curve),
            "final_test_rel_l2": curve[-1][1],
        },
    }
