"""The operator-learning protocol the FNO and DeepONet experiments share.

Li et al.'s protocol (train/test split of one dataset, minibatch epochs with the learning
rate halved every N epochs, the mean per-sample relative L2 test error) and the predictors
a run saves: the trained network wrapped with whatever its prediction needs (normalisers,
a rollout length, a query grid), so `sciml predict` applies exactly what the run applied.

The wrappers are built around a trained network, never handed to `fit`: `fit` trains every
floating-point leaf of its model, and a normaliser's statistics or a query grid must stay
fixed. A loss builds the same wrapper around the network it is given, so training, testing
and `sciml predict` run the same function.
"""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp

from ..config import spec
from ..data import Normalizer
from ..losses import relative_l2_loss
from ..nn import FNO
from ..sampling import MinibatchSampler
from ..train import FitResult, epoch_protocol, fit, seconds_per_epoch


@dataclass(frozen=True)
class EpochProtocolConfig:
    """The FNO training protocol: minibatch epochs, lr x0.5 every `halve_every_epochs`."""

    epochs: int = spec(500, ge=1)
    batch_size: int = spec(20, ge=1)
    halve_every_epochs: int | None = spec(100, ge=1, doc="FNO protocol: lr x0.5 every N epochs")
    log_every_epochs: int = spec(1, ge=1)


class NormalizedOperator(eqx.Module):
    """A network between fixed normalisers: $G(a) = \\mathrm{decode}_u(N(\\mathrm{encode}_a(a)))$.

    Unbatched, like the network: `jax.vmap(operator)(a)` for a batch.
    """

    net: eqx.Module
    a_norm: Normalizer
    u_norm: Normalizer

    def __call__(self, a):
        return self.u_norm.decode(self.net(self.a_norm.encode(a)))


class WindowRollout(eqx.Module):
    """`num_steps` snapshots from a window of past ones, each prediction joining the window.

    `net` maps the window `(T_in, n, n)` to the next snapshot `(1, n, n)` (FNO-2D in time,
    Li et al.); returns `(num_steps, n, n)`.
    """

    net: eqx.Module
    num_steps: int = eqx.field(static=True)

    def __call__(self, window):
        def step(window, _):
            next_state = self.net(window)  # (1, n, n)
            return jnp.concatenate([window[1:], next_state]), next_state[0]

        return jax.lax.scan(step, window, None, length=self.num_steps)[1]


class OperatorOnGrid(eqx.Module):
    """A DeepONet evaluated on a fixed grid of query points: $u \\mapsto G(u)(y_j)$, shaped
    `grid_shape` (the run's own query grid, saved with the network)."""

    net: eqx.Module
    points: jax.Array
    grid_shape: tuple[int, ...] = eqx.field(static=True)

    def __call__(self, u):
        return self.net(u, self.points).reshape(self.grid_shape)


def identity_normalizer() -> Normalizer:
    """A normaliser that changes nothing: encode(x) = (x - 0) / (1 + 0)."""
    return Normalizer(jnp.zeros(()), jnp.ones(()), 0.0)


def normalizer_template(shape: tuple[int, ...] = (), *, eps: float = 1e-5) -> Normalizer:
    """A normaliser of the right structure for loading saved statistics into."""
    return Normalizer(jnp.zeros(shape), jnp.ones(shape), eps)


def fno_from_config(in_channels: int, model_config, *, key, **options) -> FNO:
    """An FNO `in_channels -> 1` whose keyword arguments are the fields of `model_config`."""
    return FNO(in_channels, 1, **vars(model_config), **options, key=key)


def split(arrays, num_train: int):
    """The first `num_train` samples of each array for training, the rest for testing
    (as jax arrays)."""
    arrays = [jnp.asarray(x) for x in arrays]
    return [x[:num_train] for x in arrays], [x[num_train:] for x in arrays]


def operator_artifact(input_shape, model_template, *, batch_size: int | None = None, jit=True):
    """The artifact hooks of an operator run (see `workflow/_artifacts.py`), as the tuple
    `INPUT_KEY, input_shape, model_template, predict`.

    `INPUT_KEY` is `"a"`; `predict(model, a)` applies the unbatched model to each sample of
    `a`: vmapped, or `lax.map`ped `batch_size` samples at a time; under `eqx.filter_jit`
    unless `jit=False`. An experiment uses the same `predict` for its own predictions, so
    `sciml predict` reproduces them bit for bit.

    ```python
    INPUT_KEY, input_shape, model_template, predict = operator_artifact(
        lambda config: (None, 1, None), model_template
    )
    ```
    """
    if batch_size is None:
        predict = lambda model, a: jax.vmap(model)(a)
    else:
        predict = lambda model, a: jax.lax.map(model, a, batch_size=batch_size)
    return "a", input_shape, model_template, eqx.filter_jit(predict) if jit else predict


def mean_rel_l2(prediction, reference):
    """Mean over samples of the per-sample relative L2 error (the FNO paper's metric)."""
    return jnp.mean(jax.vmap(relative_l2_loss)(prediction, reference))


def batched_rel_l2(predict, model, a, u, batch: int = 50) -> float:
    """`mean_rel_l2` of `predict(model, a)` against `u`, `batch` samples at a time."""
    errors = []
    for start in range(0, a.shape[0], batch):
        pred = predict(model, a[start : start + batch])
        errors.append(jax.vmap(relative_l2_loss)(pred, u[start : start + batch]))
    return float(jnp.mean(jnp.concatenate(errors)))


def fit_epochs(
    model, loss_fn, train_config, protocol: EpochProtocolConfig, data, *, key, run, eval_fn
) -> tuple[FitResult, MinibatchSampler]:
    """`fit` over minibatch epochs of `data` (a dict of arrays) by the FNO protocol;
    `eval_fn` runs only where `train.eval_every` asks for it."""
    sampler = MinibatchSampler(data, protocol.batch_size)
    train = epoch_protocol(
        train_config,
        epochs=protocol.epochs,
        steps_per_epoch=sampler.steps_per_epoch,
        halve_every_epochs=protocol.halve_every_epochs,
        log_every_epochs=protocol.log_every_epochs,
    )
    result = fit(
        model,
        loss_fn,
        train,
        key=key,
        sampler=sampler,
        run=run,
        eval_fn=eval_fn if train.eval_every else None,
    )
    return result, sampler


def fit_operator(model, loss_fn, config, data, test_error, *, key, run) -> tuple[FitResult, dict]:
    """`fit_epochs` of `model` by `config.train` and `config.protocol` on `data`, logging
    `test_rel_l2 = test_error(net)` where `train.eval_every` asks for it.

    **Returns:** the fit and its `protocol_summary` (with `config.data`'s sample counts).
    """

    def eval_fn(net):
        return {"test_rel_l2": test_error(net)}

    result, sampler = fit_epochs(
        model, loss_fn, config.train, config.protocol, data, key=key, run=run, eval_fn=eval_fn
    )
    return result, protocol_summary(result, sampler, config.protocol, config.data)


def protocol_summary(result: FitResult, sampler, protocol, data_config) -> dict:
    """The summary entries every FNO experiment reports."""
    return {
        "epochs": protocol.epochs,
        "num_train": data_config.num_train,
        "num_test": data_config.num_test,
        "s_per_epoch": seconds_per_epoch(result.history, sampler.steps_per_epoch),
        "final_train_loss": result.history[-1]["loss"],
        "device": jax.devices()[0].platform,
    }


def save_prediction(run, predict, model, a, u):
    """`prediction.npz` with the inputs `a`, references `u` and `predict(model, a)`."""
    prediction = predict(model, a)
    run.save_npz("prediction", a=a, u=u, prediction=prediction)
    return prediction
