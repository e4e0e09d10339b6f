"""Overdamped Langevin in a 1-D double well against statistical mechanics' exact answers.

Escape: walkers start in the left minimum of a piecewise-harmonic double well
(`uq.double_well`) and run `gamma dx = -U'(x) dt + sqrt(2 gamma kT) dW` until they reach the
right minimum. Their censored first passage times give the escape rate, compared with
Kramers' overdamped rate

$$ k = \\frac{\\sqrt{U''(x_a)\\,|U''(x_b)|}}{2\\pi\\gamma}\\, e^{-\\Delta U / kT} $$

and with the exact `1 / MFPT` (a quadrature). The waiting time is exponential with that
rate, so Kramers' law is also a predictive distribution of each walker's escape time: the
coverage curve and the reliability diagram check it quantile by quantile.

Occupancy ("wide minima"): two minima of equal depth and different curvature hold, in
equilibrium, the ratio of their partition functions `Z_R / Z_L`, harmonically
`sqrt(kappa_L / kappa_R)`: the wide well wins by entropy alone. The time-averaged
occupancy of walkers started on both sides is compared with the exact Boltzmann ratio.
"""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import uq
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.viz import plot_coverage_curve, plot_curves, plot_reliability_diagram

DESCRIPTION = "Overdamped Langevin double well: escape rate vs Kramers, occupancy vs Z ratio"


@dataclass(frozen=True)
class EscapeConfig:
    barrier: float = spec(4.0, gt=0.0, doc="Delta U; Kramers needs barrier / kT >= 3")
    kT: float = spec(1.0, gt=0.0)
    friction: float = spec(1.0, gt=0.0, doc="gamma")
    curvature_well: float = spec(24.0, gt=0.0, doc="U'' at the minima")
    curvature_barrier: float = spec(12.0, gt=0.0, doc="|U''| at the barrier top")
    dt: float = spec(2e-3, gt=0.0, doc="keep dt * curvature_well / friction << 1")
    horizon: float = spec(80.0, gt=0.0, doc="walkers not across by then are censored")
    walkers: int = spec(1000, ge=1)


@dataclass(frozen=True)
class OccupancyConfig:
    barrier: float = spec(2.5, gt=0.0, doc="low enough to hop many times per walker")
    kT: float = spec(1.0, gt=0.0)
    curvature_left: float = spec(24.0, gt=0.0, doc="the narrow well")
    curvature_right: float = spec(6.0, gt=0.0, doc="the wide well")
    curvature_barrier: float = spec(12.0, gt=0.0)
    dt: float = spec(2e-3, gt=0.0)
    steps: int = spec(25_000, ge=1, doc="averaged steps per walker")
    burn_in: int = spec(2500, ge=0)
    walkers: int = spec(1024, ge=2, doc="half start in each well")
    bins: int = spec(50, ge=2, doc="histogram of the stationary density")


Config = wf.experiment_config(escape=EscapeConfig, occupancy=OccupancyConfig)


def _escape(c: EscapeConfig, key) -> dict:
    if c.barrier / c.kT < 3:
        raise ValueError(
            f"escape.barrier / escape.kT = {c.barrier / c.kT:.3g}; Kramers' rate is an "
            "asymptote in barrier / kT, checked from 3 up: raise escape.barrier or lower "
            "escape.kT"
        )
    potential, x_left, x_right = uq.double_well(
        c.barrier, c.curvature_well, c.curvature_well, c.curvature_barrier
    )
    init, step = uq.overdamped_langevin(potential, c.dt, c.kT, c.friction)
    state = jax.vmap(init)(jr.split(key, c.walkers), jnp.full((c.walkers,), x_left))
    num_steps = round(c.horizon / c.dt)
    times = uq.first_passage_times(step, state, lambda x: x >= x_right, c.dt, num_steps)
    rate, se = uq.escape_rate(times, c.horizon)
    kramers = uq.kramers_rate(c.barrier, c.kT, c.friction, c.curvature_well, c.curvature_barrier)
    mfpt = uq.mean_first_passage_time(potential, x_left, x_right, c.kT, c.friction, x_left - 3)
    return {
        "times": np.asarray(times),
        "escape_rate": rate,
        "escape_rate_se": se,
        "kramers_rate": kramers,
        "exact_rate": 1.0 / mfpt,
        "escape_vs_kramers": rate / kramers - 1.0,
        "escape_vs_exact_in_se": (rate - 1.0 / mfpt) / se,
        "escaped_fraction": float(np.isfinite(times).mean()),
    }


def _occupancy(c: OccupancyConfig, key) -> dict:
    potential, x_left, x_right = uq.double_well(
        c.barrier, c.curvature_left, c.curvature_right, c.curvature_barrier
    )
    init, step = uq.overdamped_langevin(potential, c.dt, c.kT)
    start = jnp.where(jnp.arange(c.walkers) % 2 == 0, x_left, x_right)
    state = jax.vmap(init)(jr.split(key, c.walkers), start)
    # 0 is a bin edge, so the histogram's right half is exactly the occupancy x > 0
    lower, upper = (
        x_left - 4 * np.sqrt(c.kT / c.curvature_left),
        x_right + 4 * np.sqrt(c.kT / c.curvature_right),
    )
    width = (upper - lower) / c.bins
    lower = np.floor(lower / width) * width
    edges = lower + width * np.arange(c.bins + 1)

    def observable(x):
        index = jnp.floor((x - lower) / width).astype(jnp.int32)
        one_hot = jax.nn.one_hot(index, c.bins, dtype=x.dtype)  # outside the range: zeros
        return jnp.concatenate([(x > 0).astype(x.dtype)[None], one_hot])

    averages = np.asarray(uq.time_average(step, state, observable, c.steps, c.burn_in))
    right = averages[:, 0]
    # walkers are independent: the standard error of the mean is their spread / sqrt(n)
    p, se = float(right.mean()), float(right.std(ddof=1) / np.sqrt(c.walkers))
    ratio, se_ratio = p / (1 - p), se / (1 - p) ** 2
    exact = uq.boltzmann_ratio(potential, 0.0, c.kT, x_left - 3, x_right + 4)
    centres = 0.5 * (edges[1:] + edges[:-1])
    fine = np.linspace(x_left - 3, x_right + 4, 200_001)
    weight = np.exp(-np.asarray(potential(fine)) / c.kT)
    density = np.exp(-np.asarray(potential(centres)) / c.kT) / np.trapezoid(weight, fine)
    return {
        "occupancy_ratio": ratio,
        "occupancy_ratio_se": se_ratio,
        "partition_ratio": exact,
        "harmonic_partition_ratio": float(np.sqrt(c.curvature_left / c.curvature_right)),
        "occupancy_vs_partition_in_se": (ratio - exact) / se_ratio,
        "centres": centres,
        "histogram": averages[:, 1:].mean(axis=0) / width,
        "density": density,
    }


def _escape_time_calibration(times, rate):
    """Coverage of the central intervals of Exp(rate), and the PIT reliability curve."""
    times = jnp.asarray(times)

    def quantile(q):
        return -jnp.log1p(-q) / rate

    levels, coverage = uq.interval_coverage_curve(
        times, lambda p: (quantile((1 - p) / 2), quantile((1 + p) / 2))
    )
    pit = jnp.where(jnp.isfinite(times), -jnp.expm1(-rate * times), 1.0)
    observed = jnp.mean(pit[None, :] <= levels[:, None], axis=1)
    return levels, coverage, observed


def run(config: Config, run) -> dict:
    escape_key, occupancy_key = jr.split(jr.key(config.seed))
    e, o = config.escape, config.occupancy
    escape = _escape(e, escape_key)
    occupancy = _occupancy(o, occupancy_key)
    coverage, reliability = {}, {}
    for label, rate in (
        ("Exp(Kramers rate)", escape["kramers_rate"]),
        ("Exp(1 / exact MFPT)", escape["exact_rate"]),
    ):
        levels, coverage[label], reliability[label] = _escape_time_calibration(
            escape["times"], rate
        )
    summary = {
        "escape_rate": escape["escape_rate"],
        "kramers_rate": escape["kramers_rate"],
        "barrier": e.barrier,
        "kT": e.kT,
        "friction": e.friction,
        "curvature_well": e.curvature_well,
        "curvature_barrier": e.curvature_barrier,
        "escape_rate_se": escape["escape_rate_se"],
        "exact_rate": escape["exact_rate"],
        "escape_vs_kramers": escape["escape_vs_kramers"],
        "escape_vs_exact_in_se": escape["escape_vs_exact_in_se"],
        "escaped_fraction": escape["escaped_fraction"],
        "walkers": e.walkers,
        "coverage_error_kramers": float(
            uq.calibration_error(levels, coverage["Exp(Kramers rate)"])
        ),
        "occupancy_ratio": occupancy["occupancy_ratio"],
        "occupancy_ratio_se": occupancy["occupancy_ratio_se"],
        "partition_ratio": occupancy["partition_ratio"],
        "harmonic_partition_ratio": occupancy["harmonic_partition_ratio"],
        "occupancy_vs_partition_in_se": occupancy["occupancy_vs_partition_in_se"],
    }
    if run is not None:
        run.save_npz(
            "prediction",
            escape_times=escape["times"],
            x=occupancy["centres"],
            histogram=occupancy["histogram"],
            density=occupancy["density"],
        )
        run.save_figure(
            plot_coverage_curve(levels, coverage, title="escape times: central intervals"),
            "coverage_curve",
        )
        run.save_figure(
            plot_reliability_diagram(
                levels,
                reliability,
                labels=("quantile level of Exp(k)", "fraction escaped by that quantile"),
                title="escape times: reliability",
            ),
            "reliability_diagram",
        )
        run.save_figure(
            plot_curves(
                occupancy["centres"],
                {"Langevin (time average)": occupancy["histogram"]},
                reference=("exp(-U/kT) / Z", occupancy["density"]),
                labels=("x", "density"),
                title=f"equal-depth wells: Z_R/Z_L = {occupancy['partition_ratio']:.3f}",
            ),
            "occupancy_density",
        )
    return summary
