"""Burgers' equation by a physics-informed network, checked against the Cole–Hopf solution."""

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import RunConfig, spec
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.losses import causal_residual_loss, dirichlet_loss, residual_loss
from sciml_jax.nn import MLP, Ansatz, FourierFeatures, OddInAxis
from sciml_jax.pde import Burgers, burgers_cole_hopf
from sciml_jax.sampling import CollocationSampler
from sciml_jax.train import FixedWeighting, GradNormWeighting, RunDir

DESCRIPTION = "Burgers u_t + u u_x = (0.01/pi) u_xx PINN vs the exact Cole-Hopf solution"


@dataclass(frozen=True)
class NetworkConfig:
    width: int = spec(20, ge=1)
    depth: int = spec(3, ge=1)
    activation: Literal["tanh", "sin", "gelu", "swish"] = "tanh"
    modified: bool = spec(False, doc="gated modified-MLP architecture")
    factorise: bool = spec(False, doc="random weight factorisation (mu=1, sigma=0.1)")
    fourier_features: int = spec(0, ge=0, doc="random Fourier features (0 = none)")
    fourier_sigma: float = spec(1.0, gt=0.0)
    ansatz: Literal["none", "odd", "boundary", "full", "full_odd"] = spec(
        "none",
        doc="hard constraints: odd = u(-x)=-u(x) exactly; boundary = (1-x^2) N; "
        "full = -sin(pi x) + t (1-x^2) N (exact IC and BC); full_odd = full with N odd in x",
    )


@dataclass(frozen=True)
class ProblemConfig:
    viscosity: float = spec(0.01 / np.pi, gt=0.0, doc="nu; the classic value is 0.01/pi")
    n_residual: int = spec(2540, ge=1)
    n_boundary: int = spec(160, ge=0)
    n_initial: int = spec(80, ge=0)
    sampler: Literal["uniform", "lhs", "sobol"] = "uniform"
    resample: bool = spec(True, doc="fresh collocation points every Adam step")
    weighting: Literal["fixed", "grad_norm"] = "fixed"
    weighting_every: int = spec(1000, ge=1)
    initial_weight: float = spec(1.0, gt=0.0)
    boundary_weight: float = spec(1.0, gt=0.0)
    causal_epsilon: float = spec(0.0, ge=0.0, doc="causal weighting strength (0 = off)")
    causal_slabs: int = spec(16, ge=1)
    vectorize: bool = spec(
        True,
        doc="evaluate all collocation points at once as columns (same numbers as vmap, "
        "several times faster on CPU)",
    )


@dataclass(frozen=True)
class Config(RunConfig):
    network: NetworkConfig = field(default_factory=NetworkConfig)
    problem: ProblemConfig = field(default_factory=ProblemConfig)


def make_network(config: NetworkConfig, key) -> eqx.Module:
    """The coordinate network of the config, wrapped in its hard-constraint ansatz."""
    embed_key, net_key = jr.split(key)
    embedding = (
        FourierFeatures(2, config.fourier_features, config.fourier_sigma, key=embed_key)
        if config.fourier_features
        else None
    )
    net = MLP(
        2,
        "scalar",
        config.width,
        config.depth,
        config.activation,
        embedding=embedding,
        factorise=(1.0, 0.1) if config.factorise else None,
        modified=config.modified,
        key=net_key,
    )
    if config.ansatz in ("odd", "full_odd"):
        net = OddInAxis(net)
    if config.ansatz in ("none", "odd"):
        return net
    return Ansatz(net, _boundary_ansatz if config.ansatz == "boundary" else _full_ansatz)


def _boundary_ansatz(p, n):
    return (1 - p[0] ** 2) * n


def _full_ansatz(p, n):
    return -jnp.sin(jnp.pi * p[0]) + p[1] * (1 - p[0] ** 2) * n


def model_template(config: Config) -> eqx.Module:
    return make_network(config.network, jr.key(config.seed))


# A finished run as an artifact (sciml_jax/workflow/_artifacts.py).
INPUT_KEY, input_shape = workflow.POINTS, workflow.points_input_shape
predict = workflow.predict_points


def reference_grid():
    """The classic grid: 256 x in [-1, 1] (ends included) by 100 t in [0, 0.99]."""
    x = np.linspace(-1.0, 1.0, 256)
    t = np.linspace(0.0, 0.99, 100)
    return x, t


def reference_solution(viscosity: float) -> np.ndarray:
    """Cole–Hopf on the reference grid in float64, shape (len(t), len(x))."""
    x, t = reference_grid()
    with jax.enable_x64(True):
        u = burgers_cole_hopf(jnp.asarray(x)[None, :], jnp.asarray(t)[:, None], viscosity)
        return np.asarray(u)


def make_loss(config: ProblemConfig):
    pde = Burgers(viscosity=config.viscosity)

    def loss_fn(model, batch, key):
        if config.causal_epsilon > 0:
            residual = causal_residual_loss(
                pde.residual,
                model,
                batch["interior"],
                config.causal_epsilon,
                config.causal_slabs,
                vectorize=config.vectorize,
            )
        else:
            residual = residual_loss(
                pde.residual, model, batch["interior"], vectorize=config.vectorize
            )
        terms = {"residual": residual}
        if "initial" in batch:
            terms["initial"] = dirichlet_loss(
                model, batch["initial"], pde.initial, vectorize=config.vectorize
            )
        if "boundary" in batch:
            terms["boundary"] = dirichlet_loss(
                model, batch["boundary"], pde.boundary, vectorize=config.vectorize
            )
        return terms

    return loss_fn


def make_sampler(config: ProblemConfig, adam_steps: int) -> CollocationSampler:
    workflow.check_causal_slabs(config)
    return CollocationSampler(
        TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0),
        config.n_residual,
        config.n_boundary,
        config.n_initial,
        method=config.sampler,
        resample=config.resample,
        resample_until=adam_steps if config.resample else None,
    )


def make_weighting(config: ProblemConfig, ansatz: str):
    if config.weighting == "grad_norm":
        return GradNormWeighting(every=config.weighting_every)
    weights = {}
    if config.n_initial and ansatz not in ("full", "full_odd"):
        weights["initial"] = config.initial_weight
    if config.n_boundary and ansatz not in ("full", "full_odd", "boundary"):
        weights["boundary"] = config.boundary_weight
    return FixedWeighting(weights)


def _problem_for_ansatz(config: Config) -> ProblemConfig:
    # Terms that a hard constraint satisfies exactly are dropped from the loss.
    problem = config.problem
    if config.network.ansatz in ("full", "full_odd"):
        problem = dataclasses.replace(problem, n_initial=0, n_boundary=0)
    elif config.network.ansatz == "boundary":
        problem = dataclasses.replace(problem, n_boundary=0)
    return problem


def run(config: Config, run: RunDir | None) -> dict:
    model_key, sampler_key = jr.split(jr.key(config.seed))
    problem = _problem_for_ansatz(config)
    reference = workflow.ReferenceGrid(
        ("x", "t"), reference_grid(), reference_solution(problem.viscosity)
    )
    pinn = workflow.fit_pinn(
        config,
        run,
        make_network(config.network, model_key),
        make_loss(problem),
        reference,
        key=sampler_key,
        sampler=make_sampler(problem, config.train.steps),
        weighting=make_weighting(problem, config.network.ansatz),
        float64=True,
        figure={
            "terms": ("loss", "residual", "initial", "boundary", "rel_l2"),
            "cmap": "RdBu_r",
            "error_title": "|PINN - Cole-Hopf|",
        },
    )
    history = pinn.result.history
    adam_rates = [r["steps_per_s"] for r in history if r["step"] <= config.train.steps]
    return {
        "rel_l2": pinn.rel_l2,
        "final_loss": history[-1]["loss"] if history else None,
        "steps": int(pinn.result.state.step),
        "wall_time_s": pinn.seconds,
        "adam_steps_per_s": float(np.median(adam_rates[1:] or adam_rates)) if adam_rates else None,
    }
