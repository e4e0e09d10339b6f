"""Kuramoto–Sivashinsky for 10^5 ETDRK steps: stays finite; time-averaged energy spectrum
(Kassam & Trefethen 2005's setting)."""

from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from sciml_jax.config import spec
from sciml_jax.ops import make_grid
from sciml_jax.sim import KuramotoSivashinsky, rollout, rollout_average
from sciml_jax.viz import plot_spacetime_spectrum
from sciml_jax.workflow import experiment_config, timed

DESCRIPTION = (
    "Kuramoto-Sivashinsky 1e5-step ETDRK rollout: finiteness and time-averaged energy spectrum"
)


@dataclass(frozen=True)
class ProblemConfig:
    domain_extent: float = spec(32 * np.pi, gt=0.0, doc="period L (32 pi: Kassam-Trefethen)")
    num_points: int = spec(256, ge=8)
    dt: float = spec(0.25, gt=0.0)
    num_steps: int = spec(100_000, ge=1)
    transient_steps: int = spec(4_000, ge=0, doc="steps skipped before averaging")
    average_every: int = spec(20, ge=1, doc="steps between spectrum samples")
    order: int = spec(4, ge=1, le=4)
    form: Literal["conservative", "combustion"] = "conservative"
    plot_steps: int = spec(2_000, ge=1, doc="steps shown in the space-time plot")


Config = experiment_config(problem=ProblemConfig)


def run(config: Config, run) -> dict:
    p = config.problem
    for name in ("num_steps", "transient_steps", "plot_steps"):
        if getattr(p, name) % p.average_every:
            raise ValueError(
                f"problem.{name}={getattr(p, name)} must be a multiple of "
                f"problem.average_every={p.average_every}."
            )
    stepper = KuramotoSivashinsky(
        1, p.domain_extent, p.num_points, p.dt, order=p.order, form=p.form
    )
    x = make_grid(1, p.domain_extent, p.num_points)
    key = jax.random.key(config.seed)
    u0 = jnp.cos(x / 16) * (1 + jnp.sin(x / 16)) + 0.01 * jax.random.normal(key, x.shape)
    spectrum = lambda u: jnp.abs(jnp.fft.rfft(u[0]) / p.num_points) ** 2
    samples = (p.num_steps - p.transient_steps - p.plot_steps) // p.average_every

    @jax.jit
    def simulate(u0):
        transient = rollout(stepper, u0, p.plot_steps, save_every=p.average_every)
        u = rollout(stepper, transient[-1], p.transient_steps, save_every=p.average_every)[-1]
        return transient, *rollout_average(stepper, u, samples, p.average_every, spectrum)

    (transient, final, mean_spectrum, peak), wall = timed(simulate, u0)
    finite = bool(jnp.all(jnp.isfinite(final)) and jnp.all(jnp.isfinite(mean_spectrum)))
    wavenumbers = 2 * np.pi * np.arange(p.num_points // 2 + 1) / p.domain_extent
    run.save_npz(
        "spectrum",
        k=wavenumbers,
        energy=np.asarray(mean_spectrum),
        final=np.asarray(final),
        spacetime=np.asarray(transient[:, 0]),
    )
    t_end = (transient.shape[0] - 1) * p.average_every * p.dt
    figure = plot_spacetime_spectrum(
        transient[:, 0], t_end, p.domain_extent, wavenumbers, mean_spectrum, num_steps=p.num_steps
    )
    run.save_figure(figure, "spectrum")
    return {
        "finite": finite,
        "max_abs_u": float(peak),
        "num_steps": p.num_steps,
        "seconds": wall,
        "steps_per_second": p.num_steps / wall,
        "peak_wavenumber": float(wavenumbers[1:][np.argmax(np.asarray(mean_spectrum)[1:])]),
    }
