"""Allen–Cahn by a PINN vs an ETDRK4 reference (Wang, Sankaran, Perdikaris, CMAME 421, 2024)."""

from dataclasses import dataclass
from typing import Literal

import jax.numpy as jnp
import jax.random as jr

from sciml_jax import workflow
from sciml_jax.config import spec
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.nn import MLP, Ansatz, PeriodicEmbedding, PirateNet
from sciml_jax.pde import AllenCahn
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


Config = workflow.experiment_config(problem=ProblemConfig)


def _initial_ansatz(p, n):
    # u = u0(x) + t N(cos(k pi x), sin(k pi x), t): exact IC, exactly 2-periodic in x.
    return p[0] ** 2 * jnp.cos(jnp.pi * p[0]) + p[1] * n


def make_model(problem: ProblemConfig, key) -> Ansatz:
    embedding = PeriodicEmbedding(2, axes=(0,), periods=(2.0,), num_harmonics=problem.harmonics)
    common = {"embedding": embedding, "factorise": (1.0, 0.1) if problem.factorise else None}
    if problem.architecture == "pirate":
        # Random Fourier features laid on the periodic features keep exact periodicity.
        sigma, blocks = problem.pirate_sigma, problem.pirate_blocks
        net = PirateNet(2, "scalar", problem.width, blocks, fourier_sigma=sigma, **common, key=key)
    else:
        modified = problem.modified
        net = MLP(2, "scalar", problem.width, problem.depth, modified=modified, **common, key=key)
    return Ansatz(net, _initial_ansatz)


INPUT_KEY, input_shape, model_template, predict = workflow.pinn_artifact(
    lambda config: make_model(config.problem, jr.key(config.seed))
)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    n, dt = problem.reference_points, problem.reference_dt
    if round(1.0 / dt) % 200:
        raise ValueError(f"problem.reference_dt={dt} must divide 1/200; e.g. 1e-4.")
    pde = AllenCahn(diffusivity=problem.diffusivity, reaction=problem.reaction)
    model_key, train_key = jr.split(jr.key(config.seed))
    loss_fn = workflow.causal_residual_only(
        pde.residual, problem, vectorize=problem.vectorize, one_pass=True
    )
    sampler = workflow.collocation(
        TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0), problem.n_residual, config, problem.sampler
    )
    model = make_model(problem, model_key)
    reference = workflow.allen_cahn_reference(n, dt, problem.diffusivity, problem.reaction)
    pinn = workflow.fit_pinn(
        config, run, model, loss_fn, reference, key=train_key, sampler=sampler, float64=True
    )
    return pinn.summary()
