"""Transfer learning for an FNO on Burgers: train u0 -> u(., 1) at nu = 0.1 on plenty of
data, then adapt it to nu = 0.05 from 50 samples, against an FNO trained from scratch on
the same 50 with the same step budget.

Fine-tuning starts from the source network and trains only part of it through a freeze
mask (`train.freeze_except`): `last`, the output layer `project_out` (a linear probe of
the projection's features); `head`, the projection MLP; `block`, the last Fourier layer;
`block_head`, the last Fourier layer and the projection; `full`, every weight. The
viscosity sets how fast each Fourier mode decays, `exp(-4 pi^2 k^2 nu t)` for the heat
part, so a change of nu is a change of the spectral weights, which the projection alone
cannot express. Scratch fits scalar normalisers to the 50 target functions; so does
fine-tuning unless `transfer.refit_normalizers` is off (statistics, not training: at
nu = 0.05, u(., 1) is ~7x larger than at nu = 0.1).

The test error on held-out nu = 0.05 functions is logged every `transfer.eval_every`
steps for every run. With `E` the best test error from scratch, reached first at step
`S`, a fine-tune's `steps_to_scratch_error` is the first logged step `F` with an error
`<= E` and `ratio = F / S` (target: `<= 1/3`).
"""

import dataclasses
from dataclasses import dataclass

import jax
import jax.random as jr
import numpy as np

from sciml_jax import workflow as wf
from sciml_jax.config import OptimizerConfig, ScheduleConfig, TrainConfig, spec
from sciml_jax.data import Normalizer, burgers_dataset
from sciml_jax.sampling import MinibatchSampler
from sciml_jax.train import count_trainable, epoch_protocol, fit, freeze_except
from sciml_jax.viz import plot_histories, plot_operator_samples_1d

DESCRIPTION = "FNO transfer Burgers nu=0.1 -> nu=0.05 (50 samples): frozen fine-tune vs scratch"

# What each fine-tuning mode trains; everything else is frozen.
TRAINABLE = {
    "last": lambda fno: fno.project_out,
    "head": lambda fno: (fno.project_hidden, fno.project_out),
    "block": lambda fno: fno.blocks[-1],
    "block_head": lambda fno: (fno.blocks[-1], fno.project_hidden, fno.project_out),
    "full": None,
}


@dataclass(frozen=True)
class DataConfig:
    source_viscosity: float = spec(0.1, gt=0.0)
    target_viscosity: float = spec(0.05, gt=0.0)
    num_source: int = spec(500, ge=1, doc="source training functions (nu = source)")
    num_source_test: int = spec(100, ge=1, doc="held-out source functions")
    num_target: int = spec(50, ge=1, doc="target training functions (nu = target)")
    num_test: int = spec(200, ge=1, doc="held-out target functions for the test error")
    resolution: int = spec(128, ge=8)
    solve_points: int = spec(512, ge=8, doc="solver grid (nu = 0.05 is resolved at 512)")
    grf_modes: int = spec(128, ge=1)
    seed: int = spec(0, ge=0, doc="source data; the target set uses seed + 1")


@dataclass(frozen=True)
class ModelConfig:
    width: int = spec(32, ge=1)
    modes: int = spec(12, ge=1)
    num_layers: int = spec(4, ge=1)


@dataclass(frozen=True)
class TransferConfig:
    """The target runs: every one gets the same steps, batches and optimizer."""

    steps: int = spec(3000, ge=1, doc="step budget of every target run")
    batch_size: int = spec(10, ge=1)
    eval_every: int = spec(50, ge=1, doc="steps between test-error evaluations")
    learning_rate: float = spec(1e-3, gt=0.0)
    halve_every: int | None = spec(1000, ge=1, doc="lr x0.5 every N steps (null: constant)")
    finetune: tuple[str, ...] = spec(
        ("last", "block_head", "full"), doc="fine-tuning modes: last, head, block, block_head, full"
    )
    refit_normalizers: bool = spec(
        True, doc="fine-tune with normalisers of the target data (as scratch), not the source's"
    )


Config = wf.experiment_config(
    data=DataConfig, model=ModelConfig, protocol=wf.EpochProtocolConfig, transfer=TransferConfig
)


def _target_train(t: TransferConfig) -> TrainConfig:
    schedule = (
        ScheduleConfig()
        if t.halve_every is None
        else ScheduleConfig(name="exponential", decay_rate=0.5, decay_steps=t.halve_every)
    )
    return TrainConfig(
        steps=t.steps,
        chunk_size=t.eval_every,
        checkpoint_every=t.eval_every * max(1, t.steps // (4 * t.eval_every)),
        eval_every=t.eval_every,
        optimizer=OptimizerConfig(name="adam", learning_rate=t.learning_rate, schedule=schedule),
        progress=False,
    )


def run(config: Config, run) -> dict:
    d, t = config.data, config.transfer
    for mode in t.finetune:
        if mode not in TRAINABLE:
            raise ValueError(
                f"transfer.finetune has {mode!r}; allowed: {', '.join(TRAINABLE)} "
                "(e.g. transfer.finetune=[last,full])."
            )
    common = dict(
        resolution=d.resolution,
        solve_points=max(d.solve_points, d.resolution),
        grf_modes=d.grf_modes,
    )
    source = burgers_dataset(
        d.num_source + d.num_source_test, viscosity=d.source_viscosity, seed=d.seed, **common
    )
    target = burgers_dataset(
        d.num_target + d.num_test, viscosity=d.target_viscosity, seed=d.seed + 1, **common
    )
    (a_src, u_src), (a_src_test, u_src_test) = wf.split((source["a"], source["u"]), d.num_source)
    (a_tgt, u_tgt), (a_test, u_test) = wf.split((target["a"], target["u"]), d.num_target)
    source_key, scratch_key, *fit_keys = jr.split(jr.key(config.seed), 2 + len(t.finetune))

    def make_loss(a_norm, u_norm):
        def loss_fn(net, batch, key):
            model = wf.NormalizedOperator(net, a_norm, u_norm)
            return wf.mean_rel_l2(jax.vmap(model)(batch["a"]), batch["u"])

        return loss_fn

    def test_error(net, a_norm, u_norm, a=a_test, u=u_test) -> float:
        model = wf.NormalizedOperator(net, a_norm, u_norm)
        return wf.batched_rel_l2(lambda m, a: jax.vmap(m)(a), model, a, u)

    # 1. The source operator at nu = source, by the FNO epoch protocol.
    src_norms = (Normalizer.fit(a_src, pointwise=False), Normalizer.fit(u_src, pointwise=False))
    sampler = MinibatchSampler({"a": a_src, "u": u_src}, config.protocol.batch_size)
    p = config.protocol
    source_train = epoch_protocol(
        config.train,
        epochs=p.epochs,
        steps_per_epoch=sampler.steps_per_epoch,
        halve_every_epochs=p.halve_every_epochs,
        log_every_epochs=p.log_every_epochs,
    )
    source_fit = fit(
        wf.fno_from_config(1, config.model, key=source_key),
        make_loss(*src_norms),
        dataclasses.replace(source_train, eval_every=None),
        key=source_key,
        sampler=sampler,
        run=wf.sub_run(run, "source"),
    )
    source_net = source_fit.model

    # 2. Every target run: the same 50 functions, steps, batches and optimizer.
    target_train = _target_train(t)
    target_data = {"a": a_tgt, "u": u_tgt}

    def target_fit(name, net, norms, key, frozen=None):
        result = fit(
            net,
            make_loss(*norms),
            target_train,
            key=key,
            sampler=MinibatchSampler(target_data, min(t.batch_size, d.num_target)),
            run=wf.sub_run(run, name),
            eval_fn=lambda n: {"test_rel_l2": test_error(n, *norms)},
            frozen=frozen,
        )
        curve = [(0, test_error(net, *norms))]
        curve += [(r["step"], r["test_rel_l2"]) for r in result.history if "test_rel_l2" in r]
        return result, curve

    tgt_norms = (Normalizer.fit(a_tgt, pointwise=False), Normalizer.fit(u_tgt, pointwise=False))
    tune_norms = tgt_norms if t.refit_normalizers else src_norms
    scratch_net = wf.fno_from_config(1, config.model, key=scratch_key)
    scratch, scratch_curve = target_fit("scratch", scratch_net, tgt_norms, scratch_key)
    best_step, best_error = wf.best_point(scratch_curve)

    summary = {
        "source_viscosity": d.source_viscosity,
        "target_viscosity": d.target_viscosity,
        "num_source": d.num_source,
        "num_target": d.num_target,
        "num_test": d.num_test,
        "budget_steps": t.steps,
        "source_test_rel_l2_source": test_error(source_net, *src_norms, a_src_test, u_src_test),
        "source_test_rel_l2_zero_shot": test_error(source_net, *src_norms),
        "source_test_rel_l2_target_normalizers": test_error(source_net, *tgt_norms),
        "scratch_test_rel_l2": best_error,
        "scratch_final_test_rel_l2": scratch_curve[-1][1],
        "scratch_steps": best_step,
        "trainable_parameters": {"scratch": count_trainable(scratch_net)},
        "steps_to_scratch_error": {},
        "ratio": {},
        "ratio_at_most_one_third": {},
        "finetune": {},
    }
    curves = {"scratch": scratch_curve}
    models = {"scratch": wf.NormalizedOperator(scratch.model, *tgt_norms)}
    for mode, key in zip(t.finetune, fit_keys, strict=True):
        where = TRAINABLE[mode]
        frozen = None if where is None else freeze_except(source_net, where)
        tuned, curve = target_fit(f"finetune_{mode}", source_net, tune_norms, key, frozen)
        summary["trainable_parameters"][mode] = count_trainable(source_net, frozen)
        for name, value in wf.transfer_scores(curve, scratch_curve).items():
            summary[name][mode] = value
        curves[f"finetune_{mode}"] = curve
        models[mode] = wf.NormalizedOperator(tuned.model, *tune_norms)

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
            ylabel="test relative L2",
            title=f"FNO Burgers nu={d.source_viscosity} -> {d.target_viscosity}, "
            f"{d.num_target} samples",
        )
        axis = figure.axes[0]
        axis.axhline(best_error, color="k", ls=":", lw=1, label="best from scratch")
        axis.legend()
        run.save_figure(figure, "error_curves")
        run.save_npz(
            "curves",
            **{f"{name}_steps": np.array([s for s, _ in c]) for name, c in curves.items()},
            **{f"{name}_error": np.array([e for _, e in c]) for name, c in curves.items()},
        )
        show = t.finetune[0] if t.finetune else "scratch"
        prediction = wf.save_prediction(
            run, lambda m, a: jax.vmap(m)(a), models[show], a_test[:4], u_test[:4]
        )
        run.save_figure(
            plot_operator_samples_1d(a_test[:2], u_test[:2], prediction[:2]), "prediction"
        )
    return summary
