"""Burgers' equation by a PINN vs the exact Cole–Hopf solution (Raissi et al., JCP 378, 2019)."""

import dataclasses
from dataclasses import dataclass
from typing import Literal

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import spec
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.losses import dirichlet_loss
from sciml_jax.nn import Ansatz, OddInAxis
from sciml_jax.pde import Burgers
from sciml_jax.train import FixedWeighting, GradNormWeighting, RunDir

DESCRIPTION = "Burgers u_t + u u_x = (0.01/pi) u_xx PINN vs the exact Cole-Hopf solution"


@dataclass(frozen=True)
class NetworkConfig(workflow.NetworkConfig):
    modified: bool = spec(False, doc="gated modified-MLP architecture")
    factorise: bool = spec(False, doc="random weight factorisation (mu=1, sigma=0.1)")
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


Config = workflow.experiment_config(network=NetworkConfig, problem=ProblemConfig)


def make_network(config: NetworkConfig, key):
    """The coordinate network of the config, wrapped in its hard-constraint ansatz."""
    gates = {"factorise": (1.0, 0.1) if config.factorise else None, "modified": config.modified}
    net = workflow.mlp_from_config(config, 2, key=key, **gates)
    if config.ansatz in ("odd", "full_odd"):
        net = OddInAxis(net)
    if config.ansatz in ("none", "odd"):
        return net
    return Ansatz(net, _boundary_ansatz if config.ansatz == "boundary" else _full_ansatz)


def _boundary_ansatz(p, n):
    return (1 - p[0] ** 2) * n


def _full_ansatz(p, n):
    return -jnp.sin(jnp.pi * p[0]) + p[1] * (1 - p[0] ** 2) * n


INPUT_KEY, input_shape, model_template, predict = workflow.pinn_artifact(
    lambda config: make_network(config.network, jr.key(config.seed))
)


def make_loss(config: ProblemConfig):
    pde = Burgers(viscosity=config.viscosity)
    residual = workflow.causal_residual_only(pde.residual, config, vectorize=config.vectorize)

    def loss_fn(model, batch, key):
        terms = residual(model, batch, key)
        for name, value in (("initial", pde.initial), ("boundary", pde.boundary)):
            if name in batch:
                terms[name] = dirichlet_loss(model, batch[name], value, vectorize=config.vectorize)
        return terms

    return loss_fn


def make_sampler(config: Config, problem: ProblemConfig):
    domain = TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)
    counts = {"n_boundary": problem.n_boundary, "n_initial": problem.n_initial}
    return workflow.collocation(
        domain, problem.n_residual, config, problem.sampler, resample=problem.resample, **counts
    )


def make_weighting(config: ProblemConfig):
    """Fixed weights of the initial and boundary terms left (`_problem_for_ansatz`), or
    gradient-norm balancing."""
    if config.weighting == "grad_norm":
        return GradNormWeighting(every=config.weighting_every)
    weights = {"initial": (config.n_initial, config.initial_weight)}
    weights["boundary"] = (config.n_boundary, config.boundary_weight)
    return FixedWeighting({name: weight for name, (n, weight) in weights.items() if n})


def _problem_for_ansatz(config: Config) -> ProblemConfig:
    # Terms that a hard constraint satisfies exactly are dropped from the loss.
    both = ("n_initial", "n_boundary")
    dropped = {"full": both, "full_odd": both, "boundary": ("n_boundary",)}
    zeros = dict.fromkeys(dropped.get(config.network.ansatz, ()), 0)
    return dataclasses.replace(config.problem, **zeros)


def run(config: Config, run: RunDir | None) -> dict:
    model_key, sampler_key = jr.split(jr.key(config.seed))
    problem = _problem_for_ansatz(config)
    terms = ("loss", "residual", "initial", "boundary", "rel_l2")
    pinn = workflow.fit_pinn(
        config,
        run,
        make_network(config.network, model_key),
        make_loss(problem),
        workflow.burgers_reference(problem.viscosity),
        key=sampler_key,
        sampler=make_sampler(config, problem),
        weighting=make_weighting(problem),
        float64=True,
        figure={"terms": terms, "cmap": "RdBu_r", "error_title": "|PINN - Cole-Hopf|"},
    )
    rates = [r["steps_per_s"] for r in pinn.result.history if r["step"] <= config.train.steps]
    adam_rate = float(np.median(rates[1:] or rates)) if rates else None
    return pinn.summary(final_loss=True) | {"adam_steps_per_s": adam_rate}
