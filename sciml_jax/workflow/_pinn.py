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
from typing import Any, Literal, Protocol

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from ..analysis import rel_l2
from ..config import RunConfig, spec
from ..losses import causal_residual_loss
from ..nn import MLP, FourierFeatures
from ..ops import make_grid
from ..pde import burgers_cole_hopf
from ..sampling import CollocationSampler
from ..sim import AllenCahnStepper, rollout
from ..train import FitResult, RunDir, fit
from ..viz import plot_curves, save_field_comparison
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


def pinn_artifact(model_template: Callable[[Any], Any], predict: Callable = predict_points):
    """The artifact hooks of a PINN run (see `workflow/_artifacts.py`), as the tuple
    `INPUT_KEY, input_shape, model_template, predict`: points `(any, 2)` under `"points"`,
    predicted by `predict` (`predict_points` or `predict_columns`, as the run predicts).

    ```python
    INPUT_KEY, input_shape, model_template, predict = pinn_artifact(model_template)
    ```
    """
    return POINTS, points_input_shape, model_template, predict


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """The config section of a coordinate MLP with optional random Fourier features
    (`mlp_from_config`); an experiment whose defaults differ subclasses it and restates
    the fields it changes."""

    width: int = spec(20, ge=1)
    depth: int = spec(3, ge=1)
    activation: Literal["tanh", "sin", "gelu", "swish"] = "tanh"
    fourier_features: int = spec(0, ge=0, doc="random Fourier features (0 = none)")
    fourier_sigma: float = spec(1.0, gt=0.0)


class _MLPFields(Protocol):
    width: int
    depth: int
    activation: str
    fourier_features: int
    fourier_sigma: float


def mlp_from_config(config: _MLPFields, in_size: int, *, key, embed_key=None, **kwargs) -> MLP:
    """The scalar `MLP(in_size, "scalar", width, depth, activation)` of `config` (a
    `NetworkConfig` or any section with its fields), embedded by `fourier_features`
    random Fourier features of scale `fourier_sigma` if that is not 0.

    `embed_key` draws the features; without it `key` is split into `(embed_key, key)`.
    `kwargs` go to `MLP` (`modified`, `factorise`).
    """
    if embed_key is None:
        embed_key, key = jr.split(key)
    embedding = (
        FourierFeatures(in_size, config.fourier_features, config.fourier_sigma, key=embed_key)
        if config.fourier_features
        else None
    )
    return MLP(
        in_size,
        "scalar",
        config.width,
        config.depth,
        config.activation,
        embedding=embedding,
        key=key,
        **kwargs,
    )


def allen_cahn_reference(n: int, dt: float, diffusivity: float, reaction: float) -> "ReferenceGrid":
    """Allen–Cahn from $u_0 = x^2 \\cos(\\pi x)$ by ETDRK4 (`sim.AllenCahnStepper`, float64)
    on [-1, 1) with `n` modes and steps `dt` (`1 / dt` a multiple of 200): 201 snapshots at
    t in [0, 1]."""
    num_steps = round(1.0 / dt)
    with jax.enable_x64(True):
        coefficients = {"diffusivity": diffusivity, "reaction_coefficient": reaction}
        stepper = AllenCahnStepper(1, 2.0, n, dt, **coefficients, order=4)
        x = make_grid(1, 2.0, n, origin=-1.0)
        u = rollout(stepper, x**2 * jnp.cos(jnp.pi * x), num_steps, save_every=num_steps // 200)
        axes = (np.asarray(x).reshape(-1), np.linspace(0.0, 1.0, 201))
        return ReferenceGrid(("x", "t"), axes, np.asarray(u).reshape(201, n))


def collocation(
    domain, n_residual: int, config: RunConfig, method: str, *, resample: bool = True, **kwargs
):
    """A `CollocationSampler` of `n_residual` interior points of `domain` by `method`,
    fresh every Adam step of `config.train` and fixed for the L-BFGS steps after them
    (a deterministic loss for the line search), or one fixed set throughout if not
    `resample`; `kwargs` go to the sampler (`n_boundary`, `n_initial`)."""
    until = config.train.steps if resample else None
    return CollocationSampler(
        domain, n_residual, method=method, resample=resample, resample_until=until, **kwargs
    )


def residual_only(residual: Callable, epsilon: float = 0.0, num_slabs: int = 1, **kwargs):
    """The PINN loss `{"residual": ...}` of the interior points alone, for a model with
    exact initial and boundary conditions: `losses.causal_residual_loss(residual, model,
    batch["interior"], epsilon, num_slabs, **kwargs)` (the plain mean square if `epsilon`
    is 0)."""

    def loss_fn(model, batch, key):
        points = batch["interior"]
        return {
            "residual": causal_residual_loss(residual, model, points, epsilon, num_slabs, **kwargs)
        }

    return loss_fn


def causal_residual_only(residual: Callable, problem, **kwargs):
    """`residual_only(residual, problem.causal_epsilon, problem.causal_slabs, **kwargs)`
    for a `problem` config section with those fields, refused by `check_causal_slabs`
    if its `n_residual` points do not cut into the slabs."""
    check_causal_slabs(problem)
    return residual_only(residual, problem.causal_epsilon, problem.causal_slabs, **kwargs)


def burgers_reference(viscosity: float) -> "ReferenceGrid":
    """The classic Burgers benchmark grid, 256 x in [-1, 1] (ends included) by 100 t in
    [0, 0.99], with `pde.burgers_cole_hopf` of `viscosity` on it in float64."""
    x = np.linspace(-1.0, 1.0, 256)
    t = np.linspace(0.0, 0.99, 100)
    with jax.enable_x64(True):
        u = np.asarray(
            burgers_cole_hopf(jnp.asarray(x)[None, :], jnp.asarray(t)[:, None], viscosity)
        )
    return ReferenceGrid(("x", "t"), (x, t), u)


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

    @classmethod
    def of(cls, names: tuple[str, str], axes, exact: Callable) -> "ReferenceGrid":
        """The grid of `axes` with the values of `exact(point)` (vmapped) on it."""
        values = jax.vmap(exact)(grid_points(*axes))
        return cls(names, axes, np.asarray(values).reshape(len(axes[1]), len(axes[0])))


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

    def summary(self, *, final_loss: bool = False) -> dict:
        """`rel_l2`, `wall_time_s` and `steps` for `summary.json`; with `final_loss`, also
        the last logged loss (`None` if nothing was logged)."""
        history = self.result.history
        losses = {"final_loss": history[-1]["loss"] if history else None} if final_loss else {}
        return {
            "rel_l2": self.rel_l2,
            **losses,
            "wall_time_s": self.seconds,
            "steps": int(self.result.state.step),
        }


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
    - `figure`: keyword arguments of `viz.save_field_comparison` (terms, cmap, ...); the
      loss curves show `loss` and `rel_l2` unless `terms` says otherwise.

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
        _save(run, pinn, reference, {"terms": ("loss", "rel_l2")} | dict(figure or {}))
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


def save_curves(run: RunDir, x, curves: Mapping[str, Any], reference, data, labels, **arrays):
    """Save a 1D fit: `prediction.npz` with `x`, the first of `curves` as `u`, the
    reference values and `arrays`, and the figure `prediction` (`viz.plot_curves` of the
    `curves` over the `(label, values)` `reference` and the `(label, x, y)` `data`)."""
    u = next(iter(curves.values()))
    run.save_npz("prediction", x=x, u=u, reference=reference[1], **arrays)
    figure = plot_curves(x, curves, reference=reference, data=data, labels=labels)
    run.save_figure(figure, "prediction")


def check_causal_slabs(problem) -> None:
    """Refuse a `problem` config whose `n_residual` points do not cut into `causal_slabs`
    slabs of equal count while causal weighting (`causal_epsilon > 0`) is on."""
    if problem.causal_epsilon > 0 and problem.n_residual % problem.causal_slabs:
        raise ValueError(
            f"problem.n_residual={problem.n_residual} must be a multiple of "
            f"problem.causal_slabs={problem.causal_slabs} for causal weighting."
        )
