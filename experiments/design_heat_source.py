"""Design problem (c): find a steady heat source so that the temperature hits a target at time T."""

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from sciml_jax.analysis import rel_l2
from sciml_jax.config import spec
from sciml_jax.ops import make_grid
from sciml_jax.sim import Diffusion, rollout
from sciml_jax.viz import plot_field_panels
from sciml_jax.workflow import TrainableField, experiment_config, fit_checked, gradient_memory

DESCRIPTION = (
    "Design a 2D heat source s(x, y) so that u(T) matches a target pattern (target misfit <= 1%)"
)


@dataclass(frozen=True)
class ProblemConfig:
    diffusivity: float = spec(0.01, gt=0.0)
    t_final: float = spec(1.0, gt=0.0)
    num_steps: int = spec(400, ge=1)
    save_every: int = spec(20, ge=1, doc="rollout checkpoint segment length")
    num_points: int = spec(32, ge=8, doc="grid per axis on [0, 1)^2")
    regularisation: float = spec(1e-6, ge=0.0, doc="lambda * mean(s^2) / mean(target^2)")
    checkpoint: bool = spec(True, doc="rematerialise rollout segments in the backward pass")


Config = experiment_config(problem=ProblemConfig)


def target_pattern(x, y):
    """Two warm spots and a cold ring: a pattern that diffusion alone cannot make."""
    bump = lambda cx, cy, w: jnp.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * w**2))
    ring = jnp.exp(-((jnp.sqrt((x - 0.5) ** 2 + (y - 0.5) ** 2) - 0.3) ** 2) / 0.005)
    return (bump(0.35, 0.6, 0.06) + bump(0.65, 0.6, 0.06) - 0.5 * ring)[None]


def run(config: Config, run) -> dict:
    p = config.problem
    x, y = make_grid(2, 1.0, p.num_points)
    target = target_pattern(x, y)
    scale = jnp.mean(target**2)
    dt = p.t_final / p.num_steps

    def final_state(source, checkpoint):
        stepper = Diffusion(2, 1.0, p.num_points, dt, diffusivity=p.diffusivity, source=source)
        u0 = jnp.zeros_like(target)
        return rollout(stepper, u0, p.num_steps, save_every=p.save_every, checkpoint=checkpoint)[-1]

    def loss_fn(model, batch, key):
        misfit = jnp.mean((final_state(model.field, p.checkpoint) - batch["target"]) ** 2)
        return {
            "misfit": misfit / scale,
            "regularisation": p.regularisation * jnp.mean(model.field**2) / scale,
        }

    key = jax.random.key(config.seed)
    init, at = TrainableField(jnp.zeros_like(target)), TrainableField(target)
    result, check = fit_checked(
        loss_fn, init, {"target": target}, config.train, key=key, run=run, check_at=at, epsilon=1e-3
    )
    source = result.model.field
    achieved = final_state(source, False)
    misfit = float(rel_l2(achieved, target))
    objective = lambda s, checkpoint: jnp.mean((final_state(s, checkpoint) - target) ** 2)
    titles = ("target u(T)", f"achieved (rel L2 {misfit:.2%})", "designed source s")
    panels = [(f[0], t, {}) for f, t in zip((target, achieved, source), titles, strict=True)]
    run.save_figure(plot_field_panels(panels, cmap="RdBu_r"), "design")
    run.save_npz("design", source=source[0], achieved=achieved[0], target=target[0])
    return {
        "rel_l2_misfit_at_T": misfit,
        "target_rel_l2_misfit": 0.01,
        "gradient_check_relative_difference": check,
        **gradient_memory(objective, source),
        "rollout_steps": p.num_steps,
        "memory_note": "the heat step is linear, so its backward pass stores no states "
        "and checkpointing saves little here; see inverse_burgers_viscosity for a "
        "nonlinear rollout",
    }
