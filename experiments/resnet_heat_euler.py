"""A ResNet block whose residual branch is the discrete Laplacian is forward Euler for heat.

The block $x \\mapsto x + w * x$ with the periodic 3-point stencil $w = r\\,[1, -2, 1]$,
$r = a\\,dt / dx^2$, is the forward-Euler step of $u_t = a\\,u_{xx}$,
$u^{n+1} = u^n + a\\,dt\\,L_h u^n$ ($L_h$ the second difference over $dx^2$). It is linear
and commutes with shifts, so its eigenvectors are the Fourier modes and its amplification
factors are

$$ \\lambda_k = 1 - 4 r \\sin^2(\\pi k / N), $$

stable iff $|\\lambda_k| \\le 1$ for all $k$: $r \\le 1/2$, set by the Nyquist mode
$k = N/2$ ($\\lambda = 1 - 4r$). Three checks of that statement:

1. **Symbol:** `analysis.fourier_symbol` of the block (one impulse response, no formula)
   against the closed form, for several `r`; and the block against `sim.HeatExplicit`.
2. **CFL limit:** `analysis.max_stable_dt` (bisection on the spectral radius) against
   $dx^2 / (2a)$; and the limit *observed* by rolling the block out: bisection on `dt` for
   growth of a random zero-mean field over `rollout_steps` steps. Just above the limit the
   Nyquist mode grows by only $1 + 4(r - 1/2)$ per step, so a finite rollout sees the
   instability a little late: the observed limit exceeds 1/2 by $O(\\log N / T)$. The
   symbol predicts that excess exactly (the field's Fourier coefficients times
   $|\\lambda_k|^T$), which is the third number compared.
3. **Learned stencil:** the block's three weights, trained from zero on pairs
   $(u(0), u(dt))$ of the *exact* heat semigroup (smooth periodic fields), against
   $r\\,[1, -2, 1]$ and against the least-squares stencil of the same data. They differ
   from the Euler stencil by the scheme's consistency error, relative
   $O(\\theta^2 |1/12 - r/2|)$ for the data's largest $\\theta = 2\\pi k\\,dx$.
"""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow as wf
from sciml_jax._types import Array, Float
from sciml_jax.analysis import fourier_symbol, max_stable_dt
from sciml_jax.config import spec
from sciml_jax.sim import HeatExplicit
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_amplification_factors, plot_history, plot_rollout_growth

DESCRIPTION = "ResNet block x + dt a L x is forward Euler: symbol, CFL limit, learned stencil"


@dataclass(frozen=True)
class ProblemConfig:
    num_points: int = spec(64, ge=4, doc="N, periodic grid points (even: Nyquist mode present)")
    domain_extent: float = spec(1.0, gt=0.0, doc="L; dx = L / N")
    diffusivity: float = spec(0.1, gt=0.0, doc="a")
    symbol_ratios: tuple[float, ...] = spec(
        (0.25, 0.5, 0.55), gt=0.0, doc="r = a dt / dx^2 of the symbol check and figure"
    )
    ratio_max: float = spec(1.0, gt=0.0, doc="upper end of both dt searches, as r")
    analysis_tolerance: float = spec(
        1e-12, gt=0.0, doc="spectral radius <= 1 + this is stable (use ~1e-6 in float32)"
    )
    rollout_steps: int = spec(20_000, ge=1, doc="T, steps per rollout")
    rollout_rel_precision: float = spec(1e-6, gt=0.0, doc="bisection width / dt")
    sweep_ratios: int = spec(81, ge=2, doc="rollouts of the growth figure")
    sweep_span: tuple[float, ...] = spec((0.2, 0.7), doc="(low, high) r of the growth figure")


@dataclass(frozen=True)
class LearnConfig:
    enabled: bool = spec(True, doc="train the stencil on exact heat data (uses train)")
    ratio: float = spec(0.25, gt=0.0, doc="r = a dt / dx^2 of the data pairs")
    num_fields: int = spec(64, ge=1, doc="random smooth initial fields")
    max_mode: int = spec(3, ge=1, doc="fields hold modes 0..max_mode")


Config = wf.experiment_config(problem=ProblemConfig, learn=LearnConfig)


class StencilBlock(eqx.Module):
    """The residual block $x + w * x$ with a periodic 3-point stencil $w$.

    $(w * x)_j = w_0 x_{j-1} + w_1 x_j + w_2 x_{j+1}$ (indices mod $N$). With
    $w = (a\\,dt/dx^2)[1, -2, 1]$ it is the forward-Euler heat step.

    **Arguments:** `stencil`, the three weights.
    """

    stencil: Float[Array, "3"]

    def __call__(self, x: Float[Array, "1 n"]) -> Float[Array, "1 n"]:
        w = self.stencil
        return x + w[0] * jnp.roll(x, 1, -1) + w[1] * x + w[2] * jnp.roll(x, -1, -1)


def euler_block(ratio) -> StencilBlock:
    """The block of $r = a\\,dt/dx^2$: stencil $r\\,[1, -2, 1]$."""
    return StencilBlock(ratio * jnp.array([1.0, -2.0, 1.0]))


def closed_form_symbol(ratio: float, num_points: int) -> np.ndarray:
    """$1 - 4 r \\sin^2(\\pi k / N)$, $k = 0..N-1$ (FFT order)."""
    return 1 - 4 * ratio * np.sin(np.pi * np.arange(num_points) / num_points) ** 2


def log_growth(block_of_dt, x0, dt, steps: int):
    """$\\log(\\|x_T\\| / \\|x_0\\|)$ over `steps` block steps; renormalised every step so an
    unstable rollout does not overflow."""
    block = block_of_dt(dt)

    def body(carry, _):
        x, total = carry
        y = block(x)
        norm = jnp.linalg.norm(y)
        return (y / norm, total + jnp.log(norm)), None

    x = x0 / jnp.linalg.norm(x0)
    (_, total), _ = jax.lax.scan(body, (x, jnp.zeros((), x0.dtype)), None, length=steps)
    return total


def predicted_log_growth(ratio: float, coefficients: np.ndarray, steps: int) -> float:
    """The same quantity from the closed-form symbol: $\\frac12 \\log \\sum_k
    |\\lambda_k|^{2T} |\\hat x_k|^2 / \\sum_k |\\hat x_k|^2$ (float64, log-sum-exp)."""
    lam = np.abs(closed_form_symbol(ratio, coefficients.size))
    weights = np.abs(coefficients) ** 2
    keep = weights > 0
    terms = 2 * steps * np.log(np.maximum(lam[keep], 1e-300)) + np.log(weights[keep])
    top = terms.max()
    return 0.5 * (top + np.log(np.exp(terms - top).sum()) - np.log(weights.sum()))


def bisect_unstable(is_unstable, low: float, high: float, rel_precision: float) -> float:
    """The largest stable point of a predicate that is False at `low` and True at `high`."""
    if not is_unstable(high):
        return high
    while high - low > rel_precision * high:
        middle = 0.5 * (low + high)
        if is_unstable(middle):
            high = middle
        else:
            low = middle
    return low


def _heat_pairs(c: ProblemConfig, learn: LearnConfig, key):
    """Random smooth periodic fields and their exact heat evolution over one `dt`."""
    n, dx = c.num_points, c.domain_extent / c.num_points
    dt = learn.ratio * dx**2 / c.diffusivity
    k = jnp.arange(learn.max_mode + 1)
    a_key, b_key = jr.split(key)
    cos_amp = jr.normal(a_key, (learn.num_fields, k.size)) / (1 + k)
    sin_amp = jr.normal(b_key, (learn.num_fields, k.size)) / (1 + k)
    x = jnp.arange(n) * dx
    phase = 2 * jnp.pi * k[:, None] * x[None, :] / c.domain_extent
    decay = jnp.exp(-c.diffusivity * (2 * jnp.pi * k / c.domain_extent) ** 2 * dt)
    u0 = cos_amp @ jnp.cos(phase) + sin_amp @ jnp.sin(phase)
    u1 = (cos_amp * decay) @ jnp.cos(phase) + (sin_amp * decay) @ jnp.sin(phase)
    return u0[:, None, :], u1[:, None, :]


def _learn(config: Config, run: RunDir | None, key) -> tuple[dict, list]:
    c, learn = config.problem, config.learn
    data_key, train_key = jr.split(key)
    u0, u1 = _heat_pairs(c, learn, data_key)
    scale = jnp.mean((u1 - u0) ** 2)

    def loss_fn(block, batch, key):
        prediction = jax.vmap(block)(batch["u0"])
        return jnp.mean((prediction - batch["u1"]) ** 2) / scale

    start = StencilBlock(jnp.zeros(3, u0.dtype))
    result = fit(
        start,
        loss_fn,
        config.train,
        key=train_key,
        data={"u0": u0, "u1": u1},
        run=wf.sub_run(run, "learned"),
    )
    learned = np.asarray(result.model.stencil, float)
    flat0 = np.asarray(u0[:, 0, :], float)
    design = np.stack([np.roll(flat0, 1, -1), flat0, np.roll(flat0, -1, -1)], -1).reshape(-1, 3)
    target = (np.asarray(u1[:, 0, :], float) - flat0).ravel()
    least_squares = np.linalg.lstsq(design, target, rcond=None)[0]
    euler = learn.ratio * np.array([1.0, -2.0, 1.0])
    dx = c.domain_extent / c.num_points
    theta = 2 * np.pi * learn.max_mode * dx / c.domain_extent
    return {
        "learned_stencil": learned.tolist(),
        "euler_stencil": euler.tolist(),
        "least_squares_stencil": least_squares.tolist(),
        "learned_vs_euler_rel_error": float(
            np.linalg.norm(learned - euler) / np.linalg.norm(euler)
        ),
        "learned_vs_least_squares_rel_error": float(
            np.linalg.norm(learned - least_squares) / np.linalg.norm(least_squares)
        ),
        "consistency_error_estimate": float(theta**2 * abs(1 / 12 - learn.ratio / 2)),
        "learned_final_loss": result.history[-1]["loss"],
    }, result.history


def run(config: Config, run: RunDir | None) -> dict:
    c = config.problem
    n, dx = c.num_points, c.domain_extent / c.num_points
    shape = (1, n)
    dt_of = lambda ratio: ratio * dx**2 / c.diffusivity  # noqa: E731
    block_of_dt = lambda dt: euler_block(c.diffusivity * dt / dx**2)  # noqa: E731
    field_key, learn_key = jr.split(jr.key(config.seed))
    learned, history = {}, None
    if config.learn.enabled:  # first: a train config fit refuses fails before the analysis
        learned, history = _learn(config, run, learn_key)

    # 1. The block's symbol from one impulse response, against the closed form.
    symbols, closed = {}, {}
    symbol_error = 0.0
    for ratio in c.symbol_ratios:
        symbol = np.asarray(fourier_symbol(euler_block(ratio), shape))
        exact = closed_form_symbol(ratio, n)
        symbol_error = max(symbol_error, float(np.max(np.abs(symbol - exact))))
        symbols[f"r = {ratio:g}"], closed[f"r = {ratio:g}"] = symbol.real, exact
    heat = HeatExplicit(1, c.domain_extent, n, dt_of(c.symbol_ratios[0]), diffusivity=c.diffusivity)
    probe = jr.normal(jr.fold_in(field_key, 1), shape)
    block_vs_heat = float(
        jnp.max(jnp.abs(euler_block(c.symbol_ratios[0])(probe) - heat(probe)))
        / jnp.max(jnp.abs(probe))
    )

    # 2. The CFL limit: analysed (spectral radius) and observed (rollout growth).
    dt_cfl = dt_of(0.5)
    dt_analysis = max_stable_dt(
        block_of_dt, state_shape=shape, dt_max=dt_of(c.ratio_max), tolerance=c.analysis_tolerance
    )
    x0 = jr.normal(field_key, shape)
    x0 = x0 - jnp.mean(x0)  # the mean mode (lambda = 1 exactly) would mask decay
    growth = jax.jit(lambda dt: log_growth(block_of_dt, x0, dt, c.rollout_steps))
    dt_rollout = bisect_unstable(
        lambda dt: float(growth(dt)) > 0, 0.0, dt_of(c.ratio_max), c.rollout_rel_precision
    )
    coefficients = np.fft.fft(np.asarray(x0[0], float))
    ratio_predicted = bisect_unstable(
        lambda r: predicted_log_growth(r, coefficients, c.rollout_steps) > 0,
        0.0,
        c.ratio_max,
        1e-12,
    )
    ratio_analysis = c.diffusivity * dt_analysis / dx**2
    ratio_rollout = c.diffusivity * dt_rollout / dx**2

    ratios = np.linspace(c.sweep_span[0], c.sweep_span[-1], c.sweep_ratios)
    sweep_growth = np.asarray(jax.vmap(growth)(jnp.asarray(dt_of(ratios))))
    # A zero-mean rollout grows at the largest |lambda_k| over k != 0 (power iteration).
    rate_fn = lambda dt: jnp.max(jnp.abs(fourier_symbol(block_of_dt(dt), shape)[1:]))  # noqa: E731
    radii = np.asarray(jax.jit(jax.vmap(rate_fn))(jnp.asarray(dt_of(ratios))))
    summary = {
        "num_points": n,
        "dx": dx,
        "symbol_max_abs_error": symbol_error,
        "block_vs_heat_explicit_max_rel_diff": block_vs_heat,
        "dt_cfl_closed_form": dt_cfl,
        "dt_analysis": dt_analysis,
        "dt_rollout": dt_rollout,
        "ratio_analysis": ratio_analysis,
        "ratio_rollout": ratio_rollout,
        "ratio_rollout_predicted": ratio_predicted,
        "analysis_vs_closed_form_rel": dt_analysis / dt_cfl - 1,
        "rollout_vs_closed_form_rel": dt_rollout / dt_cfl - 1,
        "rollout_vs_predicted_rel": ratio_rollout / ratio_predicted - 1,
        "rollout_steps": c.rollout_steps,
    }

    summary.update(learned)

    if run is not None:
        k = np.arange(n)
        run.save_npz(
            "stability",
            k=k,
            ratios=ratios,
            log_growth=sweep_growth,
            analysis=radii,
            **{f"symbol_r{r:g}": symbols[f"r = {r:g}"] for r in c.symbol_ratios},
        )
        run.save_figure(
            plot_amplification_factors(
                k / n, symbols, closed, title=f"ResNet block = forward Euler (N = {n})"
            ),
            "amplification_factor",
        )
        run.save_figure(
            plot_rollout_growth(
                ratios,
                np.exp(sweep_growth / c.rollout_steps),
                analysis=radii,
                analysis_label="fourier_symbol: max over k != 0 of |lambda_k|",
                limits={
                    "CFL a dt/dx^2 = 1/2": 0.5,
                    f"analysis ({ratio_analysis:.6f})": ratio_analysis,
                    f"rollout ({ratio_rollout:.6f})": ratio_rollout,
                },
                title=f"growth per step over T = {c.rollout_steps} steps",
            ),
            "rollout_growth",
        )
        if history is not None:
            run.save_figure(plot_history(history, ["loss"]), "learned_stencil_loss")
    return summary
