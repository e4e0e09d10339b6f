"""The step-count comparison of the transfer experiments, on hand-made error curves."""

from sciml_jax.workflow import best_point, steps_to_error, transfer_scores

SCRATCH = [(0, 1.0), (100, 0.5), (200, 0.3), (300, 0.3), (400, 0.35)]


def test_best_point_is_the_earliest_smallest_error():
    assert best_point(SCRATCH) == (200, 0.3)


def test_fine_tune_reaching_the_scratch_error_in_a_quarter_of_the_steps():
    scores = transfer_scores([(0, 0.9), (25, 0.4), (50, 0.29), (100, 0.2)], SCRATCH)
    assert scores["steps_to_scratch_error"] == 50 and scores["ratio"] == 0.25
    assert scores["ratio_at_most_one_third"] is True
    assert scores["finetune"] == {"best_test_rel_l2": 0.2, "final_test_rel_l2": 0.2}


def test_never_reached_and_a_scratch_run_that_never_improved_give_no_ratio():
    never = transfer_scores([(0, 0.9), (100, 0.31)], SCRATCH)
    assert never["steps_to_scratch_error"] is None and never["ratio"] is None
    assert never["ratio_at_most_one_third"] is False
    flat = transfer_scores([(0, 0.05)], [(0, 0.1), (10, 0.2)])
    assert flat["steps_to_scratch_error"] == 0 and flat["ratio"] is None
    assert steps_to_error([(0, 1.0), (10, 0.5)], 0.5) == 10
