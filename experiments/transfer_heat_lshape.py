r"""Domain adaptation of a heat PINN with the physics loss: train on the unit square,
then adapt to the L-shape (the square without its upper-right quarter), against a PINN
trained from scratch on the L with the same step budget.

$$ u_t = \kappa\,\Delta u + f \ \text{ in } \Omega \times (0, T], \qquad u = 0 \text{ on }
   \partial\Omega, \qquad u(\cdot, 0) = 0, $$

$$ f = 16\,x(1 - x)\,y(1 - y)\, e^{-|p - p_0|^2 / (2 s^2)}, \qquad p_0 = (1/4, 1/4). $$

A heat source switched on at t = 0 in the lower-left part of a cold plate held at 0 on its
edges. On the L the notch edges are held cold too: they drain the heat that reaches them,
and near the re-entrant corner the solution behaves like $r^{2/3}$. With the defaults the
square's solution differs from the L's by 8 % (t = 0.2) to 31 % (t = 1) on the L. The
model is the same on both domains,

$$ u = 16\,t\,x(1 - x)\,y(1 - y)\; N(x, y, t), $$

which holds the initial condition and the square's edges exactly, so the square's
network is already an admissible model on the L, wrong by its values on the notch and by
the physics it missed there. The loss is the mean squared residual at fresh collocation
points of the L plus `bc_weight` times the mean squared boundary value (zero by
construction but on the notch): the physics of the L alone, no target data.

With `problem.notch: exact` the L's model is multiplied by $g = \phi/\sqrt{\phi^2 +
\epsilon^2}$, $\phi = r^{2/3}\sin(2\theta/3)$ the corner's harmonic function ($\theta$ from
the upper notch edge through the L): the notch condition then holds exactly and $g$
carries the corner's $r^{2/3}$ behaviour. Measured (seed 0, 2000 steps): it trains worse
(test error ~40 % against ~12 % with the soft condition), the large derivatives of $g$
near the corner dominating the residual. With the soft condition the error concentrates
at the corner: 70-80 % of the squared error lies within 0.15 of it.

The test error is the relative L2 distance to a finite-difference solution (five-point
Laplacian, exact in time by `scipy.sparse.linalg.expm_multiply`). The solver is checked
against the closed form for $f = \sin(\pi x)\sin(\pi y)$ on the square,
$u = (1 - e^{-2\pi^2\kappa t}) f / (2\pi^2\kappa)$, and against itself at half the
resolution on the L.

Fine-tuning starts from the square's network: `last` trains only its output layer (the
physics loss is then quadratic in the trained weights), `full` trains every weight. With
`E` the best test error from scratch, reached first at step `S`, a fine-tune's
`steps_to_scratch_error` is the first logged step `F` with an error `<= E` and
`ratio = F / S` (target: `<= 1/3`).
"""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import scipy.sparse as sparse
from scipy.sparse.linalg import expm_multiply, spsolve

from sciml_jax import workflow as wf
from sciml_jax.config import OptimizerConfig, ScheduleConfig, TrainConfig, spec
from sciml_jax.geometry import LShape, Rectangle, TimeDomain
from sciml_jax.losses import pointwise, residual_loss
from sciml_jax.nn import Ansatz
from sciml_jax.pde import Heat
from sciml_jax.sampling import CollocationSampler
from sciml_jax.train import count_trainable, fit, freeze_except
from sciml_jax.viz import plot_histories

DESCRIPTION = "Heat PINN square -> L-shape by the physics loss: frozen fine-tune vs scratch"

TRAINABLE = {
    "last": lambda model: model.network.layers[-1],
    "full": None,
}


@dataclass(frozen=True)
class ProblemConfig:
    diffusivity: float = spec(0.1, gt=0.0)
    final_time: float = spec(1.0, gt=0.0)
    corner: tuple[float, float] = spec((0.5, 0.5), doc="re-entrant corner of the L in (0,1)^2")
    source_center: tuple[float, float] = (0.25, 0.25)
    source_width: float = spec(0.15, gt=0.0, doc="standard deviation s of the heat spot")
    n_residual: int = spec(1024, ge=1, doc="collocation points per step")
    notch: str = spec(
        "soft", choices=("soft", "exact"), doc="notch condition: a loss term, or in the model"
    )
    n_boundary: int = spec(256, ge=1, doc="soft notch: boundary points per step")
    bc_weight: float = spec(10.0, gt=0.0, doc="soft notch: weight of the boundary mismatch")
    notch_scale: float = spec(
        0.1, gt=0.0, doc="exact notch: epsilon of the factor phi / sqrt(phi^2 + eps^2)"
    )


@dataclass(frozen=True)
class ReferenceConfig:
    grid: int = spec(128, ge=8, doc="finite-difference cells per unit length (even)")
    test_stride: int = spec(4, ge=1, doc="test points on every stride-th grid node")
    num_times: int = spec(5, ge=1, doc="test times T/n, 2T/n, ..., T")


@dataclass(frozen=True)
class TransferConfig:
    """The target runs: every one gets the same steps, points and optimizer."""

    source_steps: int = spec(3000, ge=1)
    steps: int = spec(3000, ge=1, doc="step budget of every target run")
    eval_every: int = spec(50, ge=1, doc="steps between test-error evaluations")
    learning_rate: float = spec(3e-3, gt=0.0)
    decay_steps: int = spec(1000, ge=1, doc="lr x0.5 every decay_steps")
    finetune: tuple[str, ...] = spec(("last", "full"), doc="fine-tuning modes: last, full")


Config = wf.experiment_config(
    problem=ProblemConfig,
    network=wf.NetworkConfig,
    reference=ReferenceConfig,
    transfer=TransferConfig,
)


def heat_source(p, center=(0.25, 0.25), width: float = 0.15):
    """$f$: a Gaussian spot at `center` times the square's bubble `16 x(1-x) y(1-y)`
    (points as columns or single points)."""
    x, y = p[0], p[1]
    spot = jnp.exp(-((x - center[0]) ** 2 + (y - center[1]) ** 2) / (2 * width**2))
    return 16 * x * (1 - x) * y * (1 - y) * spot


def first_mode(p):
    """$\\sin(\\pi x)\\sin(\\pi y)$, the square's first Dirichlet mode."""
    return jnp.sin(jnp.pi * p[0]) * jnp.sin(jnp.pi * p[1])


def first_mode_exact(p, diffusivity: float):
    """The exact square solution for the source `first_mode`: the mode times
    $(1 - e^{-2\\pi^2\\kappa t}) / (2\\pi^2\\kappa)$."""
    rate = 2 * np.pi**2 * diffusivity
    return first_mode(p) * (1 - jnp.exp(-rate * p[-1])) / rate


def notch_factor(p, corner, scale: float):
    """$g = \\phi / \\sqrt{\\phi^2 + \\epsilon^2}$, $\\phi = r^{2/3}\\sin(2\\theta/3)$ about
    `corner`, $\\theta \\in [0, 3\\pi/2]$ anticlockwise from the upper notch edge: 0 on both notch
    edges, positive in the L (points as columns or single points)."""
    dx, dy = p[0] - corner[0], p[1] - corner[1]
    # The tiny shift keeps the derivatives finite at the corner itself.
    r = jnp.sqrt(dx**2 + dy**2 + 1e-20)
    theta = jnp.mod(jnp.arctan2(dy, dx) - jnp.pi / 2, 2 * jnp.pi)
    phi = r ** (2 / 3) * jnp.sin(2 * theta / 3)
    # Odd in phi: linear at the notch (u ~ phi there) with no phi^2 term, whose Laplacian
    # 2 |grad phi|^2 ~ r^(-2/3) would be singular at the corner.
    return phi / jnp.sqrt(phi**2 + scale**2)


def make_model(network, problem: ProblemConfig, *, lshape: bool) -> Ansatz:
    """`u = 16 t x(1-x) y(1-y) g N` around `network` (`g = 1` on the square, and on the L
    with a soft notch condition)."""
    corner, scale = problem.corner, problem.notch_scale
    exact_notch = lshape and problem.notch == "exact"

    def transform(p, n):
        u = 16 * p[-1] * p[0] * (1 - p[0]) * p[1] * (1 - p[1]) * n
        return u * notch_factor(p, corner, scale) if exact_notch else u

    return Ansatz(network, transform)


def heat_reference(
    grid: int,
    corner,
    diffusivity: float,
    final_time: float,
    num_times: int,
    forcing,
    *,
    lshape: bool,
):
    """Finite-difference solution of `u_t = kappa Lap u + f`, `u(0) = 0`, on the nodes
    `(i, j) / grid` of the unit square or the L, zero on the boundary: the five-point
    Laplacian `A`, exact in time, `u(t) = (e^{t kappa A} - I) (kappa A)^{-1} f`, at the times
    `final_time * k / num_times`, `k = 1..num_times`; `forcing(p)` is `f` of points as
    columns.

    **Returns:** `(nodes, u)`: the node coordinates `(grid + 1,)` and `u` shaped
    `(num_times, grid + 1, grid + 1)` indexed `[t, j (y), i (x)]`, 0 off the interior.
    """
    h = 1.0 / grid
    nodes = np.arange(grid + 1) * h
    x, y = np.meshgrid(nodes, nodes, indexing="xy")
    interior = (x > 0) & (x < 1) & (y > 0) & (y < 1)
    if lshape:
        # The notch edges x = c0 (y >= c1) and y = c1 (x >= c0) are boundary nodes.
        interior &= ~((x >= corner[0] - 1e-12) & (y >= corner[1] - 1e-12))
    n = int(interior.sum())
    index = -np.ones(x.shape, dtype=int)
    index[interior] = np.arange(n)
    j, i = np.nonzero(interior)
    rows, cols, vals = [index[j, i]], [index[j, i]], [np.full(n, -4.0 / h**2)]
    for dj, di in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        neighbour = index[j + dj, i + di]
        keep = neighbour >= 0  # a boundary neighbour contributes u = 0
        rows.append(index[j, i][keep]), cols.append(neighbour[keep])
        vals.append(np.full(keep.sum(), 1.0 / h**2))
    laplacian = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    generator = (diffusivity * laplacian).tocsc()
    f = np.asarray(forcing(np.stack([x[interior], y[interior]])), dtype=np.float64)
    steady = spsolve(generator, f)
    # One sweep through the equally spaced times 0, T/n, ..., T.
    values = expm_multiply(
        generator, steady, start=0.0, stop=final_time, num=num_times + 1, endpoint=True
    )
    u = np.zeros((num_times, *x.shape))
    u[:, interior] = values[1:] - steady
    return nodes, u


class _TestSet:
    """Test points `(x, y, t)` on a sub-grid of the reference nodes inside the domain,
    with the reference values there."""

    def __init__(self, nodes, u, times, stride, inside):
        sub = nodes[::stride]
        x, y = np.meshgrid(sub, sub, indexing="xy")
        keep = inside(np.stack([x, y], -1).reshape(-1, 2))
        space = np.stack([x, y], -1).reshape(-1, 2)[keep]
        values = u[:, ::stride, ::stride].reshape(len(times), -1)[:, keep]
        self.points = jnp.asarray(
            np.concatenate([np.concatenate([space, np.full((len(space), 1), t)], 1) for t in times])
        )
        self.values = jnp.asarray(values.reshape(-1))

    def error(self, model) -> float:
        predicted = model(self.points.T)
        return float(jnp.linalg.norm(predicted - self.values) / jnp.linalg.norm(self.values))


def _train_config(steps: int, t: TransferConfig) -> TrainConfig:
    return TrainConfig(
        steps=steps,
        chunk_size=t.eval_every,
        checkpoint_every=t.eval_every * max(1, steps // (4 * t.eval_every)),
        eval_every=t.eval_every,
        optimizer=OptimizerConfig(
            learning_rate=t.learning_rate,
            schedule=ScheduleConfig(name="exponential", decay_rate=0.5, decay_steps=t.decay_steps),
        ),
        progress=False,
    )


def run(config: Config, run) -> dict:
    p, r, t = config.problem, config.reference, config.transfer
    for mode in t.finetune:
        if mode not in TRAINABLE:
            raise ValueError(
                f"transfer.finetune has {mode!r}; allowed: {', '.join(TRAINABLE)} "
                "(e.g. transfer.finetune=[last,full])."
            )
    if r.grid % 2 or r.grid % r.test_stride:
        raise ValueError(
            f"reference.grid = {r.grid} must be even and a multiple of reference.test_stride "
            f"= {r.test_stride}, so the corner and the test points are grid nodes."
        )
    heat = Heat(diffusivity=p.diffusivity, modes=((1, 1),), amplitudes=(1.0,))

    def forcing(q):
        return heat_source(q, p.source_center, p.source_width)

    def residual(u, q):
        return heat.residual(u, q) - forcing(q)

    square = Rectangle((0.0, 0.0), (1.0, 1.0))
    lshape = LShape((0.0, 0.0), (1.0, 1.0), corner=p.corner)
    times = p.final_time * np.arange(1, r.num_times + 1) / r.num_times

    # References on both domains, and the L's at half the resolution for its error.
    with jax.enable_x64(True):
        args = (p.corner, p.diffusivity, p.final_time, r.num_times)
        nodes, u_square = heat_reference(r.grid, *args, forcing, lshape=False)
        _, u_l = heat_reference(r.grid, *args, forcing, lshape=True)
        _, coarse = heat_reference(r.grid // 2, *args, forcing, lshape=True)
        _, u_mode = heat_reference(r.grid, *args, first_mode, lshape=False)
        x, y = np.meshgrid(nodes, nodes, indexing="xy")
        exact = np.stack(
            [
                np.asarray(first_mode_exact(np.stack([x, y, 0 * x + t]), p.diffusivity))
                for t in times
            ]
        )
    # The solver against a closed form on the square (its error is O(h^2) there), and
    # the half-resolution L's distance to this one, an upper estimate of the L
    # reference's own error.
    solver_error = float(np.linalg.norm(u_mode - exact) / np.linalg.norm(exact))
    reference_change = float(np.linalg.norm(coarse - u_l[:, ::2, ::2]) / np.linalg.norm(u_l))
    tests = {
        "square": _TestSet(nodes, u_square, times, r.test_stride, lambda q: q[:, 0] > -1),
        "lshape": _TestSet(
            nodes,
            u_l,
            times,
            r.test_stride,
            lambda q: ~((q[:, 0] > p.corner[0]) & (q[:, 1] > p.corner[1])),
        ),
    }

    soft = p.notch == "soft"

    def physics_loss(model, batch, key):
        terms = {"residual": residual_loss(residual, model, batch["interior"], vectorize=True)}
        if soft:
            # Zero by construction on the square's edges: only the notch contributes.
            values = pointwise(model, batch["boundary"], vectorize=True)
            terms["boundary"] = p.bc_weight * jnp.mean(values**2)
        return terms

    def sampler(domain):
        return CollocationSampler(
            TimeDomain(domain, 0.0, p.final_time),
            p.n_residual,
            p.n_boundary if soft else 0,
            method="sobol",
        )

    def train(name, model, domain, test, key, steps, frozen=None):
        result = fit(
            model,
            physics_loss,
            _train_config(steps, t),
            key=key,
            sampler=sampler(domain),
            run=wf.sub_run(run, name),
            eval_fn=lambda m: {"test_rel_l2": test.error(m)},
            frozen=frozen,
        )
        curve = [(0, test.error(model))]
        curve += [(x["step"], x["test_rel_l2"]) for x in result.history if "test_rel_l2" in x]
        return result, curve

    source_key, scratch_key, *keys = jr.split(jr.key(config.seed), 2 + 2 * (1 + len(t.finetune)))
    init_keys, fit_keys = keys[: len(keys) // 2], keys[len(keys) // 2 :]
    source_fit, source_curve = train(
        "source",
        make_model(wf.mlp_from_config(config.network, 3, key=source_key), p, lshape=False),
        square,
        tests["square"],
        fit_keys[0],
        t.source_steps,
    )
    scratch_model = make_model(
        wf.mlp_from_config(config.network, 3, key=scratch_key), p, lshape=True
    )
    transferred = make_model(source_fit.model.network, p, lshape=True)
    scratch, scratch_curve = train(
        "scratch", scratch_model, lshape, tests["lshape"], init_keys[0], t.steps
    )
    best_step, best_error = wf.best_point(scratch_curve)
    summary = {
        "diffusivity": p.diffusivity,
        "final_time": p.final_time,
        "budget_steps": t.steps,
        "reference_solver_rel_l2_vs_exact": solver_error,
        "reference_lshape_rel_change_half_grid": reference_change,
        "source_test_rel_l2_square": source_curve[-1][1],
        "source_test_rel_l2_lshape_zero_shot": tests["lshape"].error(source_fit.model),
        "transferred_test_rel_l2_lshape_zero_shot": tests["lshape"].error(transferred),
        "scratch_test_rel_l2": best_error,
        "scratch_final_test_rel_l2": scratch_curve[-1][1],
        "scratch_steps": best_step,
        "trainable_parameters": {"scratch": count_trainable(scratch_model)},
        "steps_to_scratch_error": {},
        "ratio": {},
        "ratio_at_most_one_third": {},
        "finetune": {},
    }
    curves = {"scratch": scratch_curve}
    for mode, key in zip(t.finetune, fit_keys[1:], strict=True):
        where = TRAINABLE[mode]
        frozen = None if where is None else freeze_except(transferred, where)
        _, curve = train(
            f"finetune_{mode}", transferred, lshape, tests["lshape"], key, t.steps, frozen
        )
        summary["trainable_parameters"][mode] = count_trainable(transferred, frozen)
        for name, value in wf.transfer_scores(curve, scratch_curve).items():
            summary[name][mode] = value
        curves[f"finetune_{mode}"] = curve

    if run is not None:
        labels = {"scratch": "from scratch"} | {
            f"finetune_{m}": f"fine-tune ({m})" for m in TRAINABLE
        }
        histories = {
            labels[name]: [{"step": s, "test_rel_l2": e} for s, e in curve]
            for name, curve in curves.items()
        }
        figure = plot_histories(
            histories,
            "test_rel_l2",
            ylabel="test relative L2 on the L",
            title="heat PINN: square -> L-shape",
        )
        axis = figure.axes[0]
        axis.axhline(best_error, color="k", ls=":", lw=1, label="best from scratch")
        axis.legend()
        run.save_figure(figure, "error_curves")
        run.save_npz(
            "curves",
            **{f"{name}_steps": np.array([s for s, _ in c]) for name, c in curves.items()},
            **{f"{name}_error": np.array([e for _, e in c]) for name, c in curves.items()},
            source_steps=np.array([s for s, _ in source_curve]),
            source_error=np.array([e for _, e in source_curve]),
        )
    return summary
