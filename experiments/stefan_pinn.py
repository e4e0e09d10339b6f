r"""The one-phase Stefan problem (melting) by a PINN in enthalpy form, vs the Neumann similarity
solution; the method is in `pde.StefanEnthalpy`, `nn.StefanAnsatz`, `losses.cell_balance` and
`analysis.read_front`, results and trials in benchmarks/RESULTS.md ("Stefan PINN").
"""

from dataclasses import dataclass
from typing import Literal

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.analysis import read_front
from sciml_jax.config import spec
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.losses import causal_residual_loss, cell_balance, dirichlet_loss, pointwise
from sciml_jax.nn import StefanAnsatz
from sciml_jax.pde import StefanEnthalpy, stefan_neumann_lambda, stefan_neumann_solution
from sciml_jax.train import FixedWeighting, RunDir
from sciml_jax.viz import plot_front

DESCRIPTION = "One-phase Stefan (melting) by the enthalpy method, front vs the Neumann solution"


@dataclass(frozen=True)
class ProblemConfig:
    stefan_number: float = spec(1.0, gt=0.0, doc="St = c (T_wall - T_melt) / L")
    diffusivity: float = spec(0.4, gt=0.0, doc="alpha")
    mushy_width: float = spec(
        0.01,
        gt=0.0,
        le=0.2,
        doc="eps: the liquid fraction rises over 0 <= T <= eps (level_set: the balance uses "
        "the sharp latent heat; eps masks the residual to T > eps and sets the front level)",
    )
    front_level: float = spec(
        0.36,
        gt=0.0,
        lt=1.0,
        doc="the front is where T = front_level * eps; 0.36 solves int_c^1 du/phi(u) = 1, "
        "where the liquid profile extrapolates to the melting temperature",
    )
    length: float = spec(1.0, gt=0.0, doc="the domain [0, L]; the front must stay inside")
    t_start: float = spec(0.25, gt=0.0, doc="t0 > 0: the Neumann solution is the IC here")
    t_end: float = spec(1.0, gt=0.0)
    n_residual: int = spec(4096, ge=1)
    initial: Literal["hard", "soft", "level_set"] = spec(
        "hard",
        doc="hard: T = T_N(x, t0) + tau (...) N holds the IC exactly, but keeps the kink of "
        "T_N(x, t0) at s(t0) for all t; soft: T = 1 - xi + 4 xi (1 - xi) N and a loss term; "
        "level_set: T = max(v, 0), v = v_0(x) + 4 tau xi (1 - xi) N, v_0 the IC continued "
        "past s(t0) along its tangent (the front is where v = 0; no kink is imposed)",
    )
    n_initial: int = spec(512, ge=1, doc="IC points (initial=soft)")
    initial_weight: float = spec(10.0, gt=0.0)
    n_cells: int = spec(
        0,
        ge=0,
        doc="control volumes of the balance d/dt int_cell H dx = alpha [T_x] (0 = off); "
        "unlike the pointwise residual it does not reward smearing the front",
    )
    cell_nodes: int = spec(8, ge=1, doc="lattice intervals per cell of int H dx")
    n_cell_times: int = spec(
        32, ge=1, doc="times of the conservation term per step (<= n_residual)"
    )
    conservation_weight: float = spec(1.0, gt=0.0)
    residual_weight: float = spec(
        1.0,
        gt=0.0,
        doc="weight of the pointwise residual (level_set: only where T > eps, the liquid; in "
        "the mush the residual is a near-delta that collocation misses)",
    )
    causal_epsilon: float = spec(0.0, ge=0.0, doc="causal weighting strength (0 = off)")
    causal_slabs: int = spec(16, ge=1)
    sampler: Literal["uniform", "lhs", "sobol"] = "sobol"
    front_times: int = spec(16, ge=2, doc="evaluation times of the front, t0..t1")
    front_grid: int = spec(4001, ge=101, doc="x points the front is read off")


@dataclass(frozen=True)
class NetworkConfig(workflow.NetworkConfig):
    width: int = spec(64, ge=1)
    depth: int = spec(4, ge=1)
    similarity_feature: bool = spec(
        True,
        doc="also feed eta = x / (2 sqrt(alpha t)), the variable the heat equation's "
        "scaling symmetry leaves the front fixed in (no front is tracked)",
    )


Config = workflow.experiment_config(network=NetworkConfig, problem=ProblemConfig)


def _check(problem: ProblemConfig) -> float:
    if not problem.t_end > problem.t_start:
        raise ValueError(
            f"problem.t_end={problem.t_end} must be > problem.t_start={problem.t_start}."
        )
    lam = float(stefan_neumann_lambda(problem.stefan_number))
    s_end = 2 * lam * np.sqrt(problem.diffusivity * problem.t_end)
    if s_end > 0.9 * problem.length:
        raise ValueError(
            f"the front reaches s(t_end) = {s_end:.3f} > 0.9 * problem.length = "
            f"{0.9 * problem.length:.3f}; make problem.length at least {s_end / 0.9:.3f} "
            "(or t_end, diffusivity or stefan_number smaller) so it stays inside."
        )
    workflow.check_causal_slabs(problem)
    if problem.n_cells and problem.n_cell_times > problem.n_residual:
        raise ValueError(
            f"problem.n_cell_times={problem.n_cell_times} must be <= problem.n_residual="
            f"{problem.n_residual}: the conservation term takes the times of collocation points."
        )
    if problem.initial == "level_set" and problem.causal_epsilon > 0:
        raise ValueError(
            "problem.causal_epsilon > 0 is not supported with problem.initial=level_set "
            "(its residual is restricted to the liquid); set causal_epsilon to 0."
        )
    return lam


def make_model(config: Config, lam: float, key) -> StefanAnsatz:
    network, problem = config.network, config.problem
    net = workflow.mlp_from_config(network, 3 if network.similarity_feature else 2, key=key)

    def initial(x):
        """The Neumann temperature at t0 (with its kink at the front s(t0))."""
        return stefan_neumann_solution(
            x, problem.t_start, problem.stefan_number, problem.diffusivity, lam=lam
        )[0]

    box = (problem.length, problem.t_start, problem.t_end)
    ansatz = (network.similarity_feature, problem.initial)
    return StefanAnsatz(net, initial, lam, problem.diffusivity, *box, *ansatz)


# The artifact evaluates the model on points as columns, as in training.
INPUT_KEY, input_shape, model_template, predict = workflow.pinn_artifact(
    lambda config: make_model(config, _check(config.problem), jr.key(config.seed)),
    workflow.predict_columns,
)


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    lam = _check(problem)
    model_key, train_key = jr.split(jr.key(config.seed))
    pde = StefanEnthalpy(problem.stefan_number, problem.diffusivity, problem.mushy_width)
    box = TimeDomain(Interval(0.0, problem.length), problem.t_start, problem.t_end)
    n_initial = problem.n_initial if problem.initial == "soft" else 0
    sampler = workflow.collocation(
        box, problem.n_residual, config, problem.sampler, n_initial=n_initial
    )
    x, t = np.linspace(0.0, problem.length, 201), np.linspace(problem.t_start, problem.t_end, 101)
    x_front = np.linspace(0.0, problem.length, problem.front_grid)
    t_front = np.linspace(problem.t_start, problem.t_end, problem.front_times)
    reference, _ = stefan_neumann_solution(
        x[None, :], t[:, None], problem.stefan_number, problem.diffusivity
    )
    front_exact = pde.front(jnp.asarray(t_front))
    front_points = workflow.grid_points(x_front, t_front)
    level = problem.front_level * problem.mushy_width

    def front(model):
        temperature = workflow.predict_columns(model, front_points)
        return read_front(temperature.reshape(len(t_front), -1), jnp.asarray(x_front), level)

    def front_error(model):
        return {"front_rel_error": jnp.max(jnp.abs(front(model) - front_exact) / front_exact)}

    lattice = jnp.linspace(0.0, problem.length, problem.n_cells * problem.cell_nodes + 1)

    def conservation(model, times):
        sharp = problem.initial == "level_set"
        return jnp.mean(cell_balance(model, pde, lattice, problem.n_cells, times, sharp) ** 2)

    def loss_fn(model, batch, key):
        points = batch["interior"]
        if problem.initial == "level_set":
            residual = pointwise(lambda p: pde.residual(model, p), points, vectorize=True)
            liquid = pointwise(model, points, vectorize=True) > problem.mushy_width
            terms = {"residual": jnp.mean(jnp.where(liquid, residual, 0.0) ** 2)}
        else:
            # With causal weighting, later times weigh in only once the earlier residual
            # is small, so the front is carried forward from the IC.
            eps, slabs = problem.causal_epsilon, problem.causal_slabs
            residual = causal_residual_loss(pde.residual, model, points, eps, slabs, vectorize=True)
            terms = {"residual": residual}
        if problem.n_cells:
            # The times of the first collocation points: random while the sampler draws,
            # fixed with it (so L-BFGS sees a deterministic loss).
            terms["conservation"] = conservation(model, points[: problem.n_cell_times, 1])
        if "initial" in batch:
            terms["initial"] = dirichlet_loss(
                model, batch["initial"], lambda p: model.initial(p[0]), vectorize=True
            )
        return terms

    def fronts(model):
        s, s_exact = (np.asarray(f, dtype=np.float64) for f in (front(model), front_exact))
        return {"t_front": t_front, "front": s, "front_exact": s_exact}

    weights = {"initial": problem.initial_weight} if problem.initial == "soft" else {}
    weights |= {"conservation": problem.conservation_weight} if problem.n_cells else {}
    terms = ("loss", "rel_l2", "front_rel_error")
    pinn = workflow.fit_pinn(
        config,
        run,
        make_model(config, lam, model_key),
        loss_fn,
        workflow.ReferenceGrid(("x", "t"), (x, t), np.asarray(reference)),
        key=train_key,
        sampler=sampler,
        weighting=FixedWeighting(weights | {"residual": problem.residual_weight}),
        predict=workflow.predict_columns,
        metrics=front_error,
        extras=fronts,
        float64=True,
        figure={"terms": terms, "cmap": "inferno", "error_title": "|PINN - Neumann|"},
    )
    s, s_exact = pinn.extras["front"], pinn.extras["front_exact"]
    if run is not None:
        exact_label = "Neumann $2\\lambda\\sqrt{\\alpha t}$"
        figure = plot_front(t_front, s, s_exact, label="PINN (enthalpy)", exact_label=exact_label)
        run.save_figure(figure, "front")
    front_rel_error = float(np.max(np.abs(s - s_exact) / s_exact))
    return {"front_rel_error": front_rel_error} | pinn.summary(final_loss=True)
