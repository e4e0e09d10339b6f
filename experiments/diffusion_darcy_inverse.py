"""Diffusion posterior sampling for the Darcy inverse problem, beside the gradient-based fit.

A VP-SDE prior (epsilon-prediction U-Net, as `diffusion_grf`) is trained on the FNO Darcy
permeability fields (`data.darcy_dataset`: 12 where a GRF is positive, 3 elsewhere). It
models the log-permeability rescaled to ``x = (log a - c) / h`` with ``c, h`` the mid-point
and half-width of ``[log 3, log 12]``, so ``x = +-1``: for a two-valued field ``a`` and
``log a`` are affine in each other, so the prior is the same either way, but ``a = exp(c + h x)``
stays positive for every ``x`` the sampler visits, where a prior on ``a`` itself would hand the
solver negative coefficients in the early, noisy steps. The soft clip ``2 tanh(x / 2)`` before
the solver bounds the contrast CG sees while Tweedie's estimate is still vague.

A held-out field is the truth; pressures under `num_sources` source terms (those of
`inverse_darcy_permeability`) at `num_sensors` random interior nodes, with Gaussian noise of
`noise` times each source's data standard deviation, are the data. The posterior is drawn
by `inference.sample_posterior_dps` with the Gaussian likelihood at Tweedie's estimate plus
the denoiser's error variance in observation space (`tweedie_error_variance`, measured on
training fields). The gradient-based estimate is `inverse_darcy_permeability`'s method on the
same truth and sensors: Adam then L-BFGS on the misfit plus an H1 penalty, through the
implicitly differentiated `sim.DarcySolver`.

Samples are projected onto the prior's two values (``x >= 0``: 12, else 3) before the
statistics: the truth is exactly two-valued, and a continuous sample at 0.98 would put a
truth of 1.00 outside a band it belongs to. Errors are relative L2 of log a.
"""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow as wf
from sciml_jax.analysis import rel_l2
from sciml_jax.config import OptimizerConfig, TrainConfig, spec
from sciml_jax.data import darcy_dataset
from sciml_jax.inference import (
    VPSDE,
    TimeConditioned,
    dsm_loss,
    gaussian_log_likelihood,
    sample_posterior_dps,
    tweedie_error_variance,
)
from sciml_jax.nn import UNet
from sciml_jax.sampling import MinibatchSampler
from sciml_jax.sim import DarcySolver
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_field_panels, plot_history

DESCRIPTION = (
    "Diffusion prior on Darcy permeabilities; DPS posterior from sparse pressures "
    "(posterior-mean error, 90 % band coverage) vs the gradient-based inversion"
)
LOW, HIGH = 3.0, 12.0


@dataclass(frozen=True)
class DataConfig:
    num_points: int = spec(32, ge=4, doc="nodes per axis (divisible by 2**num_levels)")
    num_train: int = spec(2048, ge=2, doc="prior training fields (one more is the truth)")
    tau: float = spec(3.0, gt=0.0)
    gamma: float = spec(2.0, gt=0.0)
    batch_size: int = spec(32, ge=1)


@dataclass(frozen=True)
class ModelConfig:
    hidden_channels: int = spec(16, ge=1)
    num_levels: int = spec(2, ge=1)
    num_frequencies: int = spec(8, ge=1, doc="time embedding: 2 * F constant input channels")
    beta_min: float = spec(0.1, gt=0.0)
    beta_max: float = spec(20.0, gt=0.0)
    t_min: float = spec(1e-3, gt=0.0, lt=1.0, doc="smallest training and sampling time")
    input_skip: bool = spec(True, doc="eps = sigma(t) x + net: keeps the field's mean mode")


@dataclass(frozen=True)
class ProblemConfig:
    num_sensors: int = spec(64, ge=1, doc="interior pressure sensors")
    num_sources: int = spec(2, ge=1, le=6, doc="source terms (experiments)")
    noise: float = spec(0.01, gt=0.0, doc="noise std relative to each source's data std")
    cg_rtol: float = spec(1e-6, gt=0.0)


@dataclass(frozen=True)
class SampleConfig:
    num_samples: int = spec(64, ge=2, doc="posterior draws")
    num_steps: int = spec(300, ge=1, doc="Euler-Maruyama steps of the guided reverse SDE")
    guidance_scale: float = spec(1.0, gt=0.0, doc="zeta; 1: the likelihood as written")
    time_power: float = spec(2.0, ge=1.0, doc="t_i = t_min + (1 - t_min)(1 - i/N)^p")
    max_guidance: float = spec(
        1.0, ge=0.0, doc="cap on a step's likelihood shift, in noise increments; 0: none"
    )
    calibration_fields: int = spec(128, ge=2, doc="training fields for the error variance")
    calibration_times: int = spec(24, ge=2)


@dataclass(frozen=True)
class GradientConfig:
    steps: int = spec(300, ge=1, doc="Adam steps of the gradient-based inversion")
    learning_rate: float = spec(0.05, gt=0.0)
    lbfgs_steps: int = spec(300, ge=0)
    regularisation: float = spec(1e-5, ge=0.0, doc="lambda * mean |grad log a|^2")


Config = wf.experiment_config(
    data=DataConfig,
    model=ModelConfig,
    problem=ProblemConfig,
    sample=SampleConfig,
    gradient=GradientConfig,
)


def sources(x, y, count):
    """`inverse_darcy_permeability`'s sources: uniform, then shifted Gaussian injections."""
    centres = [(0.5, 0.5), (0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]
    fields = [jnp.ones_like(x)] + [
        10 * jnp.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.02) for cx, cy in centres
    ]
    return jnp.stack(fields[:count])


def run(config: Config, run: RunDir) -> dict:
    d, m, p, s, g = config.data, config.model, config.problem, config.sample, config.gradient
    keys = jr.split(jr.key(config.seed), 8)
    n = d.num_points
    data = darcy_dataset(
        d.num_train + 1, resolution=n, solve_points=n, tau=d.tau, gamma=d.gamma, seed=config.seed
    )
    centre, half = 0.5 * (np.log(HIGH) + np.log(LOW)), 0.5 * (np.log(HIGH) - np.log(LOW))
    x_all = jnp.asarray((np.log(data["a"]) - centre) / half)
    fields, truth_x = x_all[:-1], x_all[-1]
    true_log_a = centre + half * truth_x[0]

    # The prior
    sde = VPSDE(m.beta_min, m.beta_max)
    net = UNet(
        1 + 2 * m.num_frequencies,
        1,
        m.hidden_channels,
        m.num_levels,
        num_spatial_dims=2,
        key=keys[0],
    )
    sampler = MinibatchSampler({"x": fields}, batch_size=d.batch_size)
    result = fit(
        TimeConditioned(net, m.num_frequencies, sde if m.input_skip else None),
        dsm_loss(sde, t_min=m.t_min),
        config.train,
        key=keys[1],
        sampler=sampler,
        run=run,
    )
    eps_model = result.model

    # The inverse problem
    solver = DarcySolver(n, rtol=p.cg_rtol)
    gx, gy = solver.grid()
    interior = jnp.arange(n * n).reshape(n, n)[1:-1, 1:-1].ravel()
    sensors = jr.choice(keys[2], interior, (min(p.num_sensors, interior.size),), replace=False)
    f = sources(gx, gy, p.num_sources)

    def observe_log_a(log_a):
        pressures = jax.vmap(lambda fj: solver(jnp.exp(log_a), fj))(f)
        return pressures.reshape(p.num_sources, -1)[:, sensors]

    def forward(x):  # one prior field (1, n, n) -> observations (sources, sensors)
        return observe_log_a(centre + half * 2.0 * jnp.tanh(x[0] / 2.0))

    clean = observe_log_a(true_log_a)
    scale = jnp.std(clean, axis=1, keepdims=True)
    noise_std = p.noise * scale
    observed = clean + noise_std * jr.normal(keys[3], clean.shape)

    # Posterior sampling
    times = jnp.linspace(m.t_min, 1.0, s.calibration_times)
    calibration = fields[: s.calibration_fields]
    table = tweedie_error_variance(eps_model, sde, forward, calibration, times, key=keys[4])
    flat = table.reshape(len(times), -1)

    def error_variance(t):
        v = jax.vmap(lambda column: jnp.interp(t, times, column), in_axes=1)(flat)
        return v.reshape(clean.shape)

    loglik = gaussian_log_likelihood(forward, observed, noise_std, error_variance)
    shape = (1, n, n)
    draws = sample_posterior_dps(
        eps_model,
        sde,
        loglik,
        shape,
        s.num_samples,
        key=keys[5],
        num_steps=s.num_steps,
        t_min=m.t_min,
        guidance_scale=s.guidance_scale,
        time_power=s.time_power,
        max_guidance=s.max_guidance or None,
    )
    stats = posterior_statistics(
        draws[:, 0],
        true_log_a,
        centre,
        half,
        calibration[: s.num_samples, 0],
        lambda log_a: jnp.mean(((observe_log_a(log_a) - observed) / noise_std) ** 2),
    )

    # The gradient-based inversion on the same truth, sensors and data
    h = solver.spacing

    def loss_fn(model, batch, key):
        residual = (observe_log_a(model.field) - batch["observed"]) / scale
        gx_, gy_ = jnp.diff(model.field, axis=0) / h, jnp.diff(model.field, axis=1) / h
        smoothness = g.regularisation * (jnp.mean(gx_**2) + jnp.mean(gy_**2))
        return {"misfit": jnp.mean(residual**2), "smoothness": smoothness}

    train = TrainConfig(
        steps=g.steps,
        chunk_size=min(50, g.steps),
        lbfgs_steps=g.lbfgs_steps,
        progress=False,
        optimizer=OptimizerConfig(name="adam", learning_rate=g.learning_rate),
    )
    start = jnp.full_like(true_log_a, float(jnp.mean(centre + half * fields)))
    gradient = fit(
        wf.TrainableField(start), loss_fn, train, key=keys[6], data={"observed": observed}
    ).model.field

    mean, std = stats.pop("mean"), stats.pop("std")
    errors = {
        "posterior_mean_rel_l2": float(rel_l2(mean, true_log_a)),
        "gradient_rel_l2": float(rel_l2(gradient, true_log_a)),
        "posterior_mean_rel_l2_interior": float(rel_l2(mean[1:-1, 1:-1], true_log_a[1:-1, 1:-1])),
        "gradient_rel_l2_interior": float(rel_l2(gradient[1:-1, 1:-1], true_log_a[1:-1, 1:-1])),
    }
    limits = dict(vmin=float(np.log(LOW)), vmax=float(np.log(HIGH)))
    panels = (
        (true_log_a, "true log a", limits),
        (mean, f"posterior mean (rel L2 {errors['posterior_mean_rel_l2']:.1%})", limits),
        (std, f"posterior std (90 % band covers {float(stats['coverage_90']):.0%})", {}),
        (gradient, f"gradient-based (rel L2 {errors['gradient_rel_l2']:.1%})", limits),
    )
    sensor_xy = (gx.ravel()[sensors], gy.ravel()[sensors])
    run.save_figure(plot_field_panels(panels, cmap="viridis", sensors=sensor_xy), "posterior")
    run.save_figure(plot_history(result.history, ["loss"]), "loss")
    run.save_npz(
        "posterior",
        samples=np.asarray(draws[:, 0]),
        true_log_a=true_log_a,
        mean=mean,
        std=std,
        gradient_log_a=gradient,
        sensors=sensors,
        observed=observed,
    )
    return {
        **errors,
        **{name: float(value) for name, value in stats.items()},
        "final_loss": result.history[-1]["loss"],
        "num_observations": int(clean.size),
        "num_unknowns": int(true_log_a.size),
    }


@eqx.filter_jit
def posterior_statistics(draws, true_log_a, centre, half, prior_fields, chi2) -> dict:
    """Pointwise mean, std and 90 % band of the samples projected onto the prior's two
    values; the band's coverage of the truth (also for the unprojected samples); the data
    misfit (chi-square per observation) of the posterior samples beside prior draws'."""
    projected = jnp.where(draws >= 0, np.log(HIGH), np.log(LOW))
    continuous = centre + half * draws

    def coverage(samples):
        low, high = jnp.quantile(samples, 0.05, axis=0), jnp.quantile(samples, 0.95, axis=0)
        return jnp.mean((true_log_a >= low) & (true_log_a <= high))

    prior = jnp.where(prior_fields >= 0, np.log(HIGH), np.log(LOW))
    misfit = jax.vmap(chi2)(jnp.concatenate([projected, prior]))
    std = jnp.std(projected, axis=0)
    return {
        "mean": jnp.mean(projected, axis=0),
        "std": std,
        "coverage_90": coverage(projected),
        "coverage_90_continuous_samples": coverage(continuous),
        "mean_posterior_std": jnp.mean(std),
        "posterior_sample_chi2_per_observation": jnp.mean(misfit[: len(draws)]),
        "prior_sample_chi2_per_observation": jnp.mean(misfit[len(draws) :]),
    }
