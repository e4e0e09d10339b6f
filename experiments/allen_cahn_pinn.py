"""Allen–Cahn by a PINN (exact periodicity and initial condition, causal weighting) vs ETDRK4."""

from dataclasses import dataclass, field
from typing import Literal

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import RunConfig, spec
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.losses import causal_loss, pointwise, residual_loss, time_slabs
from sciml_jax.nn import MLP, Ansatz, PeriodicEmbedding, PirateNet
from sciml_jax.pde import AllenCahn
from sciml_jax.sampling import CollocationSampler
from sciml_jax.train import RunDir

DESCRIPTION = "Allen-Cahn u_t = 1e-4 u_xx + 5(u - u^3), periodic, u0 = x^2 cos(pi x), vs ETDRK4"


@dataclass(frozen=True)
class ProblemConfig:
    diffusivity: float = spec(1e-4, gt=0.0)
    reaction: float = spec(5.0, gt=0.0)
    n_residual: int = spec(2048, ge=1)
    sampler: Literal["uniform", "lhs", "sobol"] = "sobol"
    causal_epsilon: float = spec(1.0, ge=0.0, doc="causal weighting strength (0 = off)")
    causal_slabs: int = spec(32, ge=1)
    harmonics: int = spec(4, ge=1, doc="Fourier harmonics of x (exact periodicity)")
    architecture: Literal["mlp", "pirate"] = spec(
        "mlp", doc="mlp: MLP (gated if modified); pirate: PirateNet of pirate_blocks blocks"
    )
    width: int = spec(64, ge=1)
    depth: int = spec(4, ge=1, doc="hidden layers of the mlp")
    modified: bool = spec(True, doc="modified (U/V-gated) MLP; architecture=mlp only")
    factorise: bool = True
    pirate_blocks: int = spec(2, ge=1, doc="residual blocks (architecture=pirate)")
    pirate_sigma: float = spec(
        1.0, gt=0.0, doc="Fourier-feature scale on the periodic features (architecture=pirate)"
    )
    vectorize: bool = spec(
        True,
        doc="evaluate all collocation points at once as columns (same numbers as vmap, "
        "about twice as fast on CPU)",
    )
    reference_points: int = spec(512, ge=64, doc="ETDRK4 grid points")
    reference_dt: float = spec(1e-4, gt=0.0)


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


def _initial_ansatz(p, n):
    # u = u0(x) + t N(cos(k pi x), sin(k pi x), t): exact IC, exactly 2-periodic in x.
    return p[0] ** 2 * jnp.cos(jnp.pi * p[0]) + p[1] * n


def make_model(problem: ProblemConfig, key) -> Ansatz:
    embedding = PeriodicEmbedding(2, axes=(0,), periods=(2.0,), num_harmonics=problem.harmonics)
    factorise = (1.0, 0.1) if problem.factorise else None
    if problem.architecture == "pirate":
        # Random Fourier features laid on the periodic features keep exact periodicity.
        net = PirateNet(
            2,
            "scalar",
            problem.width,
            problem.pirate_blocks,
            embedding=embedding,
            fourier_sigma=problem.pirate_sigma,
            factorise=factorise,
            key=key,
        )
    else:
        net = MLP(
            2,
            "scalar",
            problem.width,
            problem.depth,
            embedding=embedding,
            factorise=factorise,
            modified=problem.modified,
            key=key,
        )
    return Ansatz(net, _initial_ansatz)


def model_template(config: Config) -> Ansatz:
    return make_model(config.problem, jr.key(config.seed))


# A finished run as an artifact (sciml_jax/workflow/_artifacts.py).
INPUT_KEY, input_shape = workflow.POINTS, workflow.points_input_shape
predict = workflow.predict_points


def reference_solution(problem: ProblemConfig):
    """ETDRK4 on [-1, 1) with `reference_points` modes; 201 snapshots in t in [0, 1]."""
    from sciml_jax.ops import make_grid
    from sciml_jax.sim import AllenCahnStepper as AllenCahnStepper
    from sciml_jax.sim import rollout

    with jax.enable_x64(True):
        n = problem.reference_points
        num_steps = round(1.0 / problem.reference_dt)
        save_every = num_steps // 200
        if save_every * 200 != num_steps:
            raise ValueError(
                f"problem.reference_dt={problem.reference_dt} must divide 1/200; e.g. 1e-4."
            )
        stepper = AllenCahnStepper(
            1,
            2.0,
            n,
            problem.reference_dt,
            diffusivity=problem.diffusivity,
            reaction_coefficient=problem.reaction,
            order=4,
        )
        x = make_grid(1, 2.0, n, origin=-1.0)
        u = rollout(stepper, x**2 * jnp.cos(jnp.pi * x), num_steps, save_every=save_every)
        x_np = np.asarray(x).reshape(-1)
        return x_np, np.linspace(0.0, 1.0, 201), np.asarray(u).reshape(201, n)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    pde = AllenCahn(diffusivity=problem.diffusivity, reaction=problem.reaction)
    model_key, train_key = jr.split(jr.key(config.seed))
    workflow.check_causal_slabs(problem)
    sampler = CollocationSampler(
        TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0),
        problem.n_residual,
        method=problem.sampler,
        resample_until=config.train.steps,
    )
    x, t, reference = reference_solution(problem)

    def loss_fn(model, batch, key):
        points = batch["interior"]
        if problem.causal_epsilon > 0:
            # One evaluation over all points in slab order, then cut into the slabs.
            ordered = time_slabs(points, problem.causal_slabs).reshape(-1, 2)
            residuals = pointwise(
                lambda p: pde.residual(model, p), ordered, vectorize=problem.vectorize
            ).reshape(problem.causal_slabs, -1)
            return {"residual": causal_loss(residuals, problem.causal_epsilon)[0]}
        return {"residual": residual_loss(pde.residual, model, points, vectorize=problem.vectorize)}

    pinn = workflow.fit_pinn(
        config,
        run,
        make_model(problem, model_key),
        loss_fn,
        workflow.ReferenceGrid(("x", "t"), (x, t), reference),
        key=train_key,
        sampler=sampler,
        float64=True,
        figure={"terms": ("loss", "rel_l2")},
    )
    return {
        "rel_l2": pinn.rel_l2,
        "wall_time_s": pinn.seconds,
        "steps": int(pinn.result.state.step),
    }
