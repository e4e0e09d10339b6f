"""The recipe the PINN experiments share: fit a coordinate network, score it on a
reference grid, save `prediction.npz`, the comparison figures and the model.

An experiment supplies its pieces (model, loss, sampler or data, reference) and reads
the scores off the returned `PinnFit`; `predict_points` / `predict_columns` are both the
function the run predicts with and the experiment's artifact `predict`, so a loaded run
(`sciml_jax.load_run`) reproduces `prediction.npz` bit for bit.
"""

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..analysis import rel_l2
from ..config import RunConfig
from ..train import FitResult, RunDir, fit
from ..viz import save_field_comparison
from ._artifacts import save_model

POINTS = "points"


def grid_points(horizontal, vertical) -> jax.Array:
    """The points `(h, v)` of a tensor grid, `(len(vertical) * len(horizontal), 2)`, with
    `vertical` outer: reshaped to `(len(vertical), len(horizontal))` they are the field."""
    mesh = jnp.meshgrid(jnp.asarray(horizontal), jnp.asarray(vertical), indexing="xy")
    return jnp.stack(mesh, -1).reshape(-1, 2)


def predict_points(model, points) -> jax.Array:
    """The model at each of `points` `(n, dim)`, vmapped: `(n,)`."""
    return jax.vmap(model)(points)


def predict_columns(model, points) -> jax.Array:
    """The model at `points` `(n, dim)` in one call on the columns `points.T`: `(n,)`."""
    return model(jnp.asarray(points).T)


def points_input_shape(config: RunConfig) -> tuple[None, int]:
    """A space-time (or 2D) coordinate network takes points `(any, 2)`."""
    return (None, 2)


@dataclasses.dataclass(frozen=True)
class ReferenceGrid:
    """A reference field `values[j, i]` at `(axes[0][i], axes[1][j])`, saved under `names`.

    A field whose second axis is named `t` is drawn with time across, the others as
    they are.
    """

    names: tuple[str, str]
    axes: tuple[np.ndarray, np.ndarray]
    values: np.ndarray

    @property
    def points(self) -> jax.Array:
        return grid_points(*self.axes)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.axes[1]), len(self.axes[0]))


@dataclasses.dataclass(frozen=True)
class PinnFit:
    """What `fit_pinn` returns: the fit, the prediction `u` on the reference grid (shaped
    as `reference.values`), its relative L2 error, the training seconds and the
    experiment's `extras` computed from the trained model."""

    result: FitResult
    u: np.ndarray
    rel_l2: float
    seconds: float
    extras: Mapping[str, Any]

    @property
    def model(self):
        return self.result.model


def fit_pinn(
    config: RunConfig,
    run: RunDir | None,
    model,
    loss_fn,
    reference: ReferenceGrid,
    *,
    key,
    sampler=None,
    data=None,
    weighting=None,
    predict: Callable = predict_points,
    metrics: Callable[[Any], dict] | None = None,
    score_during_training: bool = True,
    extras: Callable[[Any], dict[str, Any]] | None = None,
    float64: bool = False,
    figure: Mapping[str, Any] | None = None,
) -> PinnFit:
    """Fit `model` by `loss_fn` with `config.train`, score it on `reference`, and save it.

    **Arguments:**

    - `config`, `run`: the experiment's config and run folder (`None`: save nothing).
    - `model`, `loss_fn`, `key`, `sampler`, `data`, `weighting`: as for `train.fit`.
    - `reference`: the grid and values the prediction is scored against.
    - `predict`: `predict(model, points) -> (n,)`, the experiment's artifact `predict`.
    - `metrics`: more evaluation terms `metrics(model) -> dict`, logged every
      `train.eval_every` steps beside `rel_l2` (only them if not `score_during_training`).
    - `extras`: `extras(trained_model) -> dict` of arrays saved beside `u` in
      `prediction.npz` (and returned in `PinnFit.extras`).
    - `float64`: save `u` in float64 whatever the training precision.
    - `figure`: keyword arguments of `viz.save_field_comparison` (terms, cmap, ...).

    **Returns:** a `PinnFit`. With a `run`, writes `prediction.npz` (the two axes under
    `reference.names`, `u`, `reference` and the extras), the figures `prediction`,
    `reference`, `error`, `loss_curves`, and `model.eqx`.
    """
    points = reference.points

    def field(model):
        return predict(model, points).reshape(reference.shape)

    def evaluate(model):
        scores = {"rel_l2": rel_l2(field(model), reference.values)} if score_during_training else {}
        return scores | (metrics(model) if metrics else {})

    start = time.perf_counter()
    result = fit(
        model,
        loss_fn,
        config.train,
        key=key,
        sampler=sampler,
        data=data,
        run=run,
        eval_fn=evaluate if config.train.eval_every else None,
        weighting=weighting,
    )
    seconds = time.perf_counter() - start
    u = np.asarray(field(result.model), dtype=np.float64 if float64 else None)
    pinn = PinnFit(
        result,
        u,
        float(rel_l2(u, reference.values)),
        seconds,
        extras(result.model) if extras else {},
    )
    if run is not None:
        _save(run, pinn, reference, figure or {})
    return pinn


def _save(run: RunDir, pinn: PinnFit, reference: ReferenceGrid, figure: Mapping[str, Any]):
    (h_name, v_name), (h, v) = reference.names, reference.axes
    run.save_npz(
        "prediction", **{h_name: h, v_name: v}, u=pinn.u, reference=reference.values, **pinn.extras
    )
    if v_name == "t":
        fields, axes, labels = (pinn.u.T, reference.values.T), (v, h), (v_name, h_name)
    else:
        fields, axes, labels = (pinn.u, reference.values), (h, v), (h_name, v_name)
    save_field_comparison(run, *fields, *axes, history=pinn.result.history, labels=labels, **figure)
    save_model(run, pinn.model)


def check_causal_slabs(problem) -> None:
    """Refuse a `problem` config whose `n_residual` points do not cut into `causal_slabs`
    slabs of equal count while causal weighting (`causal_epsilon > 0`) is on."""
    if problem.causal_epsilon > 0 and problem.n_residual % problem.causal_slabs:
        raise ValueError(
            f"problem.n_residual={problem.n_residual} must be a multiple of "
            f"problem.causal_slabs={problem.causal_slabs} for causal weighting."
        )
