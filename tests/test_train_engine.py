"""The training engine against independent truths: least squares, quadratics, schedules."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

from sciml_jax.config import OptimizerConfig, ScheduleConfig, TrainConfig
from sciml_jax.sampling import AbstractSampler
from sciml_jax.train import fit, make_optimizer, make_schedule

QUIET = dict(progress=False)


class Linear(eqx.Module):
    weight: jax.Array
    bias: jax.Array

    def __call__(self, x):
        return x @ self.weight + self.bias


def linear_problem(key, n=64, d=3):
    kx, kw, kn = jr.split(key, 3)
    x = jr.normal(kx, (n, d))
    y = x @ jr.normal(kw, (d,)) + 0.3 + 0.05 * jr.normal(kn, (n,))
    design = np.concatenate([np.asarray(x), np.ones((n, 1))], axis=1)
    solution = np.linalg.lstsq(design, np.asarray(y), rcond=None)[0]
    return {"x": x, "y": y}, solution


def mse(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def test_adam_reaches_least_squares_solution(getkey):
    data, solution = linear_problem(getkey())
    model = Linear(jnp.zeros(3), jnp.zeros(()))
    config = TrainConfig(steps=3000, optimizer=OptimizerConfig(learning_rate=1e-2), **QUIET)
    result = fit(model, mse, config, key=getkey(), data=data)
    fitted = np.append(np.asarray(result.model.weight), result.model.bias)
    np.testing.assert_allclose(fitted, solution, atol=2e-4)
    assert [r["step"] for r in result.history] == list(range(100, 3001, 100))


def test_lbfgs_phase_solves_ill_conditioned_quadratic(x64, getkey):
    # f(p) = 1/2 p^T A p - b^T p with condition number 1e4: minimiser A^{-1} b.
    eigenvalues = jnp.logspace(0, 4, 8)
    q, _ = jnp.linalg.qr(jr.normal(getkey(), (8, 8)))
    a = q @ jnp.diag(eigenvalues) @ q.T
    b = jr.normal(getkey(), (8,))

    class Point(eqx.Module):
        p: jax.Array

    def quadratic(model, batch, key):
        return 0.5 * model.p @ a @ model.p - b @ model.p

    config = TrainConfig(steps=10, lbfgs_steps=300, chunk_size=10, checkpoint_every=10, **QUIET)
    result = fit(Point(jnp.zeros(8)), quadratic, config, key=getkey())
    np.testing.assert_allclose(result.model.p, jnp.linalg.solve(a, b), rtol=1e-6)


@pytest.mark.parametrize("num_terms", [1, 2])
def test_lbfgs_reuses_the_line_search_evaluation(x64, getkey, num_terms):
    # With a fixed batch, L-BFGS takes each step's loss and gradient from its line
    # search: the same iterates as evaluating them afresh, with half the evaluations.
    calls = {"count": 0}

    def count(_):
        calls["count"] += 1

    def rosenbrock(model, batch, key):
        jax.debug.callback(count, model.p[0])
        x, y = model.p[0::2], model.p[1::2]
        valley, floor = jnp.sum(100 * (y - x**2) ** 2), jnp.sum((1 - x) ** 2)
        return {"valley": valley, "floor": floor} if num_terms == 2 else valley + floor

    class Point(eqx.Module):
        p: jax.Array

    class Replay(AbstractSampler):  # the same batch, without saying so: no reuse
        def init(self, key):
            return None

        def sample(self, state, key):
            return {}, state

    config = TrainConfig(
        steps=200,
        chunk_size=100,
        checkpoint_every=200,
        optimizer=OptimizerConfig(name="lbfgs"),
        **QUIET,
    )
    start = Point(jnp.array([-1.2, 1.0, -0.5, 0.8]))
    results, counts = [], []
    for sampler in (None, Replay()):
        calls["count"] = 0
        results.append(fit(start, rosenbrock, config, key=getkey(), sampler=sampler))
        jax.effects_barrier()
        counts.append(calls["count"])
    reused, fresh = results
    np.testing.assert_allclose(reused.model.p, fresh.model.p, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(reused.model.p, jnp.ones(4), atol=1e-6)  # the minimum
    assert reused.history[-1]["loss"] == pytest.approx(fresh.history[-1]["loss"], abs=1e-14)
    if num_terms == 2:
        # the terms of the metrics come from a forward pass at the current point
        for name in ("valley", "floor"):
            assert reused.history[-1][name] == pytest.approx(fresh.history[-1][name], abs=1e-14)
    else:
        # a single term is read off the total: no loss evaluation besides the line
        # search's (compilation traces the loss a fixed number of times)
        assert counts[0] < 0.75 * counts[1], counts


def test_frozen_leaves_do_not_move(getkey):
    data, _ = linear_problem(getkey())
    model = Linear(jr.normal(getkey(), (3,)), jnp.zeros(()))
    frozen = Linear(True, False)
    # adamw's weight decay would move every leaf it reaches, so it tests the mask fully.
    config = TrainConfig(
        steps=200, optimizer=OptimizerConfig(name="adamw", weight_decay=0.1), **QUIET
    )
    result = fit(model, mse, config, key=getkey(), data=data, frozen=frozen)
    assert np.array_equal(result.model.weight, model.weight)
    assert not np.array_equal(result.model.bias, model.bias)
    # With the weight fixed, the best bias is the mean residual: an exact target.
    config = TrainConfig(steps=1000, optimizer=OptimizerConfig(learning_rate=0.05), **QUIET)
    result = fit(model, mse, config, key=getkey(), data=data, frozen=frozen)
    assert np.array_equal(result.model.weight, model.weight)
    best_bias = jnp.mean(data["y"] - data["x"] @ model.weight)
    np.testing.assert_allclose(result.model.bias, best_bias, atol=1e-4)


def test_warmup_cosine_schedule_matches_formula():
    config = ScheduleConfig(name="warmup_cosine", warmup_steps=10, decay_steps=90, end_value=0.0)
    schedule = make_schedule(config, 1.0)
    np.testing.assert_allclose(schedule(5), 0.5, rtol=1e-6)
    for step in (10, 40, 100):
        expected = 0.5 * (1 + np.cos(np.pi * (step - 10) / 90))
        np.testing.assert_allclose(schedule(step), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_weight_decay_is_coupled_l2_for_adam_and_sgd_and_decoupled_for_adamw(name):
    # With a zero loss gradient the first update shows the decay alone: Adam normalises
    # the L2 gradient wd*w to lr*sign(w) (bias-corrected first step); AdamW moves by
    # lr*wd*w; SGD by lr*wd*w, which is also what the L2 penalty's gradient gives.
    lr, wd = 0.1, 0.01
    w = jnp.array([2.0, -0.5, 0.0])
    optimizer = make_optimizer(OptimizerConfig(name=name, learning_rate=lr, weight_decay=wd))
    updates, _ = optimizer.update(jnp.zeros_like(w), optimizer.init(w), w)
    expected = {"adam": -lr * np.sign(w), "adamw": -lr * wd * w, "sgd": -lr * wd * w}[name]
    np.testing.assert_allclose(updates, expected, rtol=1e-5, atol=1e-7)


def test_weight_decay_with_lbfgs_is_refused():
    # refused when the config is read, before any data is built
    with pytest.raises(ValueError, match="weight_decay=0.01 with lbfgs"):
        OptimizerConfig(name="lbfgs", weight_decay=0.01)


def test_exponential_schedule_matches_formula():
    config = ScheduleConfig(name="exponential", decay_steps=100, decay_rate=0.5)
    schedule = make_schedule(config, 2.0)
    np.testing.assert_allclose(schedule(300), 2.0 * 0.5**3, rtol=1e-6)


def test_early_stopping_stops_on_a_plateau(getkey):
    class Constant(eqx.Module):
        c: jax.Array

    # The loss cannot go below 1 and is reached at once: every later interval is a plateau.
    plateau = lambda model, batch, key: 1.0 + (model.c - 2.0) ** 2
    config = TrainConfig(
        steps=5000,
        chunk_size=50,
        checkpoint_every=50,
        early_stopping_patience=3,
        early_stopping_min_delta=1e-6,
        optimizer=OptimizerConfig(name="sgd", learning_rate=0.4),
        **QUIET,
    )
    result = fit(Constant(jnp.zeros(())), plateau, config, key=getkey())
    assert result.stopped_early
    assert len(result.history) == 4  # best at the first interval, then 3 without gain
    np.testing.assert_allclose(result.model.c, 2.0, atol=1e-6)


class CountingSampler(AbstractSampler):
    """Batch = the step index; checks the sampler runs once per step, in order."""

    def init(self, key):
        return jnp.zeros((), jnp.int32)

    def sample(self, state, key):
        return {"t": state.astype(jnp.float32)}, state + 1


def test_sampler_state_advances_once_per_step(getkey):
    class Scalar(eqx.Module):
        a: jax.Array

    # SGD on (a - t)^2 with lr 1/4 halves the gap to the current target each step.
    loss = lambda model, batch, key: (model.a - batch["t"]) ** 2
    config = TrainConfig(
        steps=7,
        chunk_size=7,
        checkpoint_every=7,
        optimizer=OptimizerConfig(name="sgd", learning_rate=0.25),
        **QUIET,
    )
    result = fit(Scalar(jnp.zeros(())), loss, config, key=getkey(), sampler=CountingSampler())
    a = 0.0
    for t in range(7):
        a = a - 0.25 * 2 * (a - t)
    np.testing.assert_allclose(result.model.a, a, rtol=1e-6)
    assert int(result.state.sampler_state) == 7


def test_named_terms_are_logged_and_weighted(getkey):
    class Scalar(eqx.Module):
        a: jax.Array

    terms = lambda model, batch, key: {"left": (model.a - 1) ** 2, "right": (model.a + 1) ** 2}
    config = TrainConfig(steps=400, optimizer=OptimizerConfig(learning_rate=0.05), **QUIET)
    result = fit(Scalar(jnp.asarray(0.7)), terms, config, key=getkey())
    record = result.history[-1]
    assert {"loss", "left", "right", "grad_norm"} <= set(record)
    np.testing.assert_allclose(result.model.a, 0.0, atol=1e-3)  # symmetric minimiser
    np.testing.assert_allclose(record["loss"], record["left"] + record["right"], rtol=1e-6)


def test_bad_arguments_are_refused_with_the_fix(getkey):
    model = Linear(jnp.zeros(3), jnp.zeros(()))
    data, _ = linear_problem(getkey())
    with pytest.raises(ValueError, match="give one"):
        fit(model, mse, TrainConfig(**QUIET), key=getkey(), data=data, sampler=CountingSampler())
    vector_loss = lambda m, b, k: jax.vmap(m)(b["x"]) - b["y"]
    with pytest.raises(ValueError, match="must be a scalar"):
        fit(model, vector_loss, TrainConfig(**QUIET), key=getkey(), data=data)
    with pytest.raises(ValueError, match="eval_fn"):
        fit(model, mse, TrainConfig(eval_every=100, **QUIET), key=getkey(), data=data)


def test_float64_switch_trains_in_double(x64, getkey):
    data, solution = linear_problem(getkey())
    model = Linear(jnp.zeros(3), jnp.zeros(()))
    config = TrainConfig(steps=100, lbfgs_steps=30, chunk_size=10, checkpoint_every=10, **QUIET)
    result = fit(model, mse, config, key=getkey(), data=data)
    assert result.model.weight.dtype == jnp.float64
    fitted = np.append(np.asarray(result.model.weight), result.model.bias)
    np.testing.assert_allclose(fitted, solution, rtol=1e-9, atol=1e-10)


def test_custom_optax_optimizer_is_used(getkey):
    data, solution = linear_problem(getkey())
    model = Linear(jnp.zeros(3), jnp.zeros(()))
    result = fit(
        model,
        mse,
        TrainConfig(steps=2000, **QUIET),
        key=getkey(),
        data=data,
        optimizer=optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1, momentum=0.9)),
    )
    fitted = np.append(np.asarray(result.model.weight), result.model.bias)
    np.testing.assert_allclose(fitted, solution, atol=1e-4)
