"""The resnet_heat_euler experiment: a Laplacian-residual ResNet block is forward Euler.

Truths, none taken from the code under test: the closed-form symbol
$1 - 4 r \\sin^2(\\pi k / N)$ written out here; the forward-Euler update written out here;
the CFL limit $r = 1/2$ for even $N$ and $1 / (2 \\sin^2(\\pi (N-1) / (2N)))$ for odd $N$
(no Nyquist mode); and, for the rollout, $0 < r_{\\rm observed} - 1/2 < 2 / T$: just above
the limit the Nyquist mode grows by $1 + 4(r - 1/2)$ a step, so a field holding a share
$w$ of its energy there exceeds its initial norm after $T$ steps once
$r - 1/2 \\gtrsim \\ln(1/w) / (8T)$ ($w \\sim 1/N$ for a random field).

Tolerances: the symbol is one FFT of a 3-point impulse response, round-off
$\\sim N \\epsilon$: 1e-6 in float32, 1e-12 in float64. The analysed limit is a
bisection to relative width 1e-10 with $\\rho \\le 1 + 10^{-12}$: 1e-9.
"""

import contextlib
import io
import json

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.analysis import fourier_symbol, max_stable_dt
from sciml_jax.cli import main
from sciml_jax.sim import HeatExplicit
from sciml_jax.workflow import load_experiment

TINY = [
    "problem.num_points=32",
    "problem.rollout_steps=2000",
    "problem.rollout_rel_precision=1.0e-7",
    "problem.ratio_max=0.9",
    "problem.sweep_ratios=9",
    "learn.num_fields=16",
    "learn.max_mode=2",
    "train.steps=30",
    "train.optimizer.name=lbfgs",
    "train.chunk_size=30",
    "train.checkpoint_every=30",
    "train.lbfgs_steps=0",
    "train.progress=false",
]


def closed_form(ratio, n):
    return 1 - 4 * ratio * np.sin(np.pi * np.arange(n) / n) ** 2


def run_cli(*args):
    err, out = io.StringIO(), io.StringIO()
    previous = jax.config.jax_enable_x64  # the config's float64 must not leak
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            status = main(list(args))
    finally:
        jax.config.update("jax_enable_x64", previous)
    return status, err.getvalue(), out.getvalue()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    status, err, out = run_cli(
        "run", "configs/resnet_heat_euler.yaml", f"output_dir={folder}", "name=tiny", *TINY
    )
    assert status == 0, (err, out)
    run = folder / "resnet_heat_euler" / "tiny"
    return run, json.loads((run / "summary.json").read_text())


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("n", [15, 64])
def test_block_symbol_equals_closed_form(precision, n):
    module = load_experiment("resnet_heat_euler")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", precision == "float64")
    try:
        tolerance = 1e-12 if precision == "float64" else 1e-6
        for ratio in (0.1, 0.25, 0.5, 0.7):
            symbol = np.asarray(fourier_symbol(module.euler_block(ratio), (1, n)))
            assert symbol.dtype == (np.complex128 if precision == "float64" else np.complex64)
            np.testing.assert_allclose(symbol.real, closed_form(ratio, n), rtol=0, atol=tolerance)
            assert np.max(np.abs(symbol.imag)) <= tolerance
    finally:
        jax.config.update("jax_enable_x64", previous)


def test_block_is_the_forward_euler_heat_step(x64, getkey):
    module = load_experiment("resnet_heat_euler")
    n, length, a, dt = 48, 2.0, 0.3, 1e-3
    dx = length / n
    u = jr.normal(getkey(), (1, n))
    block = module.euler_block(a * dt / dx**2)
    euler = u + a * dt * (jnp.roll(u, 1, -1) - 2 * u + jnp.roll(u, -1, -1)) / dx**2
    np.testing.assert_allclose(block(u), euler, rtol=0, atol=1e-14)
    heat = HeatExplicit(1, length, n, dt, diffusivity=a)
    np.testing.assert_allclose(block(u), heat(u), rtol=0, atol=1e-14)


@pytest.mark.parametrize("n", [16, 15])
def test_analysed_cfl_limit(x64, n):
    module = load_experiment("resnet_heat_euler")
    dx, a = 1.0 / n, 0.1
    factory = lambda dt: module.euler_block(a * dt / dx**2)  # noqa: E731
    dt = max_stable_dt(factory, state_shape=(1, n), dt_max=0.9 * dx**2 / a)
    # even n: the Nyquist mode k = n/2 sets r = 1/2; odd n: the mode k = (n-1)/2
    limit = 0.5 if n % 2 == 0 else 1 / (2 * np.sin(np.pi * (n - 1) / (2 * n)) ** 2)
    assert abs(a * dt / dx**2 / limit - 1) <= 1e-9


def test_rollout_limit_agrees_with_the_analysis(tiny_run):
    _, summary = tiny_run
    assert summary["status"] == "completed"
    steps = summary["rollout_steps"]
    assert abs(summary["ratio_analysis"] - 0.5) <= 1e-9
    excess = summary["ratio_rollout"] - 0.5
    assert 0 < excess < 2 / steps, excess
    # The symbol predicts this field's rollout limit to the bisection's width.
    assert abs(summary["rollout_vs_predicted_rel"]) <= 2e-7
    assert summary["symbol_max_abs_error"] <= 1e-12
    assert summary["block_vs_heat_explicit_max_rel_diff"] <= 1e-14


def test_learned_stencil_recovers_the_euler_stencil(tiny_run):
    _, summary = tiny_run
    np.testing.assert_allclose(summary["euler_stencil"], 0.25 * np.array([1, -2, 1]))
    assert summary["learned_vs_least_squares_rel_error"] <= 1e-6
    # Exact-semigroup data: off the Euler stencil by the scheme's consistency error only.
    assert summary["learned_vs_euler_rel_error"] <= summary["consistency_error_estimate"]
    assert summary["learned_vs_euler_rel_error"] <= 0.01


def test_run_writes_figures_and_data(tiny_run):
    run, _ = tiny_run
    figures = sorted(p.name for p in (run / "figures").glob("*.png"))
    assert figures == ["amplification_factor.png", "learned_stencil_loss.png", "rollout_growth.png"]
    data = np.load(run / "stability.npz")
    growth = np.exp(data["log_growth"] / 2000)
    stable = data["ratios"] < 0.5
    assert np.all(growth[stable] <= 1) and np.all(growth[~stable] > 1)


def test_zero_training_steps_is_one_clean_error(tmp_path):
    status, err, _ = run_cli(
        "run",
        "configs/resnet_heat_euler.yaml",
        f"output_dir={tmp_path}",
        *TINY,
        "train.steps=0",
        "train.lbfgs_steps=0",
    )
    assert status == 2 and "Traceback" not in err
    assert err.strip().startswith("error: ") and "train.steps" in err
