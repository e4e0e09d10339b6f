"""A deep ensemble of Burgers PINNs trained in ONE vmapped fit: does the members' spread
say where the PINN is wrong?

The members are the network of `burgers_pinn` (same ansatz, residual and collocation),
stacked by `uq.Ensemble` and trained together by `fit` on `uq.ensemble_loss`: every
member sees the same collocation points and its own initialisation. A PINN has no data
noise, so the ensemble's predictive is purely epistemic,

$$ \\bar u = \\tfrac1M \\textstyle\\sum_i u_i, \\qquad
   s^2 = \\tfrac1M \\textstyle\\sum_i (u_i - \\bar u)^2, $$

and the question is whether `s` tracks the true error `|u_ref - u_bar|` against the exact
Cole-Hopf solution: reported are the rel L2 of the mean and of each member, the rank
correlation of `s` with the error over the reference points where members differ, the
share of the squared error inside the 5 % of points with the largest `s`, and the
Gaussian coverage curve of `u_bar +- z s` (figures `coverage_curve`,
`reliability_diagram`, `std`, `error`). Adam only: L-BFGS's line search would pick one
step length for all members. `prediction.npz` holds `x`, `t`, `u` (the mean), `std`,
`reference` and `members` (every member's field).
"""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import uq
from sciml_jax import workflow as wf
from sciml_jax.analysis import rel_l2
from sciml_jax.config import spec
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_coverage_curve, plot_field, plot_reliability_diagram

DESCRIPTION = "Burgers PINN ensemble in one vmapped fit: spread vs true error, coverage"

_burgers = wf.load_experiment("burgers_pinn", source=__file__)


@dataclass(frozen=True)
class EnsembleConfig:
    members: int = spec(8, ge=2, doc="PINNs trained together")


Config = wf.experiment_config(
    network=_burgers.NetworkConfig, problem=_burgers.ProblemConfig, ensemble=EnsembleConfig
)


def _rank(values: np.ndarray) -> np.ndarray:
    ranks = np.empty(values.size)
    ranks[np.argsort(values, kind="stable")] = np.arange(values.size)
    return ranks


def spearman(a, b) -> float:
    """Rank correlation (no ties expected for continuous fields)."""
    return float(np.corrcoef(_rank(np.ravel(a)), _rank(np.ravel(b)))[0, 1])


def member_fields(ensemble, points):
    """Every member at every point: `(M, n)`."""
    return eqx.filter_vmap(lambda m: jax.vmap(m)(points))(ensemble.members)


def run(config: Config, run: RunDir | None) -> dict:
    if config.train.lbfgs_steps:
        raise ValueError(
            f"train.lbfgs_steps={config.train.lbfgs_steps}; an ensemble trains with Adam "
            "only (L-BFGS's line search would pick one step for all members): set it to 0."
        )
    model_key, sampler_key = jr.split(jr.key(config.seed))
    problem = _burgers._problem_for_ansatz(config)
    ensemble = uq.Ensemble.build(
        lambda key: _burgers.make_network(config.network, key), model_key, config.ensemble.members
    )
    reference = wf.burgers_reference(problem.viscosity)
    points = reference.points

    def fields(model):
        out = member_fields(model, points)
        return out.reshape(model.size, *reference.shape)

    def evaluate(model):
        return {"rel_l2_mean": rel_l2(jnp.mean(fields(model), axis=0), reference.values)}

    result = fit(
        ensemble,
        uq.ensemble_loss(_burgers.make_loss(problem)),
        config.train,
        key=sampler_key,
        sampler=_burgers.make_sampler(config, problem),
        run=run,
        eval_fn=evaluate if config.train.eval_every else None,
    )
    members = np.asarray(fields(result.model), np.float64)
    prediction = uq.mixture_moments(jnp.asarray(members))
    mean, std = np.asarray(prediction.mean), np.asarray(prediction.std)
    u_ref = np.asarray(reference.values)
    error = np.abs(u_ref - mean)
    top = std >= np.quantile(std, 0.95)
    # The hard-constraint ansatz makes every member exact at t = 0, x = +-1 (and x = 0 by
    # oddness): no spread and no error there, so those points are left out of calibration.
    free = std > 0
    y, m, s = u_ref[free], mean[free], std[free]
    levels, coverage = uq.gaussian_coverage_curve(y, m, s)
    _, reliability = uq.quantile_calibration_curve(y, m, s)
    member_errors = [float(rel_l2(m, u_ref)) for m in members]
    summary = {
        "members": config.ensemble.members,
        "rel_l2_mean": float(rel_l2(mean, u_ref)),
        "rel_l2_members_median": float(np.median(member_errors)),
        "rel_l2_members_best": float(np.min(member_errors)),
        "rel_l2_members_worst": float(np.max(member_errors)),
        "std_mean": float(std.mean()),
        "abs_error_mean": float(error.mean()),
        "spearman_std_error": spearman(s, error[free]),
        "points_exact_by_construction": int((~free).sum()),
        "squared_error_share_top5pct_std": float((error[top] ** 2).sum() / (error**2).sum()),
        "coverage_2std": float(np.mean(error[free] <= 2 * s)),
        "calibration_error": float(uq.calibration_error(levels, coverage)),
    }
    if run is not None:
        x, t = reference.axes
        run.save_npz("prediction", x=x, t=t, u=mean, std=std, reference=u_ref, members=members)
        run.save_figure(
            plot_field(std.T, t, x, title="ensemble std s(x, t)", labels=("t", "x")), "std"
        )
        run.save_figure(
            plot_field(error.T, t, x, title="|Cole-Hopf - ensemble mean|", labels=("t", "x")),
            "error",
        )
        run.save_figure(
            plot_coverage_curve(levels, {"PINN ensemble": coverage}, title="Burgers: coverage"),
            "coverage_curve",
        )
        run.save_figure(
            plot_reliability_diagram(
                levels,
                {"PINN ensemble": reliability},
                labels=("quantile level", "observed fraction below"),
                title="Burgers: reliability",
            ),
            "reliability_diagram",
        )
    return summary
