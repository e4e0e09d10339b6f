"""NPE, NLE, NRE or their sequential forms on the sbibm tasks, scored by C2ST against sbibm's
reference posteriors (sbibm's own values are quoted for NPE only; `sbi_task` quotes all five).

For each task, simulation budget and observation: simulate from the prior with the
task's JAX simulator (vmapped), fit a flowjax conditional flow (`inference.fit_npe`, or
`fit_tsnpe` for the sequential form), draw `num_posterior_samples` inside the prior's
support and score them with sbibm's C2ST against its 10,000 reference samples. NPE is
amortised: one flow per (task, budget) serves every observation. Optionally, SBC ranks
of the amortised posterior (Talts et al. 2018) on a few tasks at the largest budget.
"""

import time
from dataclasses import dataclass

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import inference
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.viz import plot_posterior_pairs, plot_sbc_ranks

DESCRIPTION = "NPE/NLE/NRE (+ sequential) on several sbibm tasks: C2ST vs reference posteriors, SBC"

# sbibm's NPE (sbi, NSF, 1 round) C2ST on observation 1 and its mean over observations 1-10,
# quoted from sbi-benchmark/results, benchmarking_sbi/results/main_paper.csv (the data of
# Lueckmann et al. 2021, Fig. 3); written into the summary beside ours for comparison.
PUBLISHED_NPE_C2ST_OBS1 = {
    "two_moons": {1000: 0.666, 10000: 0.542, 100000: 0.518},
    "gaussian_linear": {1000: 0.707, 10000: 0.565, 100000: 0.506},
    "gaussian_linear_uniform": {1000: 0.708, 10000: 0.557, 100000: 0.502},
    "gaussian_mixture": {1000: 0.716, 10000: 0.664, 100000: 0.579},
    "slcp": {1000: 0.988, 10000: 0.944, 100000: 0.915},
    "bernoulli_glm": {1000: 0.873, 10000: 0.675, 100000: 0.573},
    "lotka_volterra": {1000: 0.999, 10000: 0.998, 100000: 0.986},
    "sir": {1000: 0.953, 10000: 0.897, 100000: 0.598},
}
PUBLISHED_NPE_C2ST_MEAN = {
    "two_moons": {1000: 0.725, 10000: 0.606, 100000: 0.542},
    "gaussian_linear": {1000: 0.694, 10000: 0.552, 100000: 0.506},
    "gaussian_linear_uniform": {1000: 0.696, 10000: 0.553, 100000: 0.509},
    "gaussian_mixture": {1000: 0.731, 10000: 0.661, 100000: 0.555},
    "slcp": {1000: 0.975, 10000: 0.901, 100000: 0.831},
    "bernoulli_glm": {1000: 0.863, 10000: 0.678, 100000: 0.559},
    "lotka_volterra": {1000: 0.999, 10000: 0.997, 100000: 0.981},
    "sir": {1000: 0.815, 10000: 0.680, 100000: 0.585},
}


@dataclass(frozen=True)
class ProblemConfig:
    tasks: tuple[str, ...] = spec(
        ("two_moons", "gaussian_linear", "gaussian_linear_uniform", "slcp"),
        doc=f"sbibm tasks, any of {sorted(inference.TASKS)}",
    )
    budgets: tuple[int, ...] = spec((1000, 10000), ge=10, doc="simulation budgets")
    observations: tuple[int, ...] = spec((1,), ge=1, le=10, doc="sbibm observation numbers")
    method: str = spec(
        "npe",
        choices=inference.METHODS,
        doc="npe, nle, nre amortised; tsnpe, snle, snre per observation",
    )
    num_rounds: int = spec(5, ge=1, doc="sequential methods: rounds, the budget split evenly")


@dataclass(frozen=True)
class FlowConfig:
    kind: str = spec("nsf", choices=("nsf", "maf"), doc="spline coupling or affine MAF")
    flow_layers: int = spec(5, ge=1)
    nn_width: int = spec(50, ge=1)
    learning_rate: float = spec(5e-4, gt=0.0)
    batch_size: int = spec(128, ge=1)
    max_epochs: int = spec(500, ge=1)
    patience: int = spec(20, ge=1, doc="epochs without a better validation loss")


@dataclass(frozen=True)
class MetricConfig:
    num_posterior_samples: int = spec(10000, ge=100, doc="sbibm: 10,000")
    num_c2st_samples: int = spec(10000, ge=100, doc="per side in C2ST; sbibm: 10,000")
    sbc_tasks: tuple[str, ...] = spec((), doc="tasks whose SBC ranks are computed")
    sbc_num: int = spec(200, ge=10, doc="SBC prior draws")
    sbc_draws: int = spec(100, ge=10, doc="posterior draws per SBC simulation")


Config = wf.experiment_config(problem=ProblemConfig, flow=FlowConfig, metric=MetricConfig)


def _check(p: ProblemConfig):
    unknown = [t for t in p.tasks if t not in inference.TASKS]
    if unknown:
        raise ValueError(
            f"problem.tasks has {unknown}; allowed: {sorted(inference.TASKS)} (sbibm names)."
        )


def run(config: Config, run) -> dict:
    p, f, m = config.problem, config.flow, config.metric
    _check(p)
    fit = inference.FitConfig(
        learning_rate=f.learning_rate,
        batch_size=f.batch_size,
        max_epochs=f.max_epochs,
        patience=f.patience,
    )
    options = dict(flow_layers=f.flow_layers, nn_width=f.nn_width)
    key = jr.key(config.seed)
    summary = {"method": p.method, "flow": f.kind, "budgets": list(p.budgets)}
    arrays = {}
    for t_index, name in enumerate(p.tasks):
        task = inference.get_task(name)
        refs = {k: task.reference(k) for k in p.observations}
        for budget in p.budgets:
            run_key = jr.fold_in(jr.fold_in(key, t_index), budget)
            posteriors, seconds = {}, {}
            if p.method in inference.AMORTIZED_METHODS:
                start = time.perf_counter()
                theta, x = inference.simulate_for_sbi(task, budget, key=run_key)
                sim_seconds = time.perf_counter() - start
                posterior, history = inference.fit_amortized(
                    p.method,
                    task,
                    theta,
                    x,
                    key=jr.fold_in(run_key, 1),
                    flow_kind=f.kind,
                    flow_options=options,
                    fit=fit,
                )
                fit_seconds = time.perf_counter() - start
                summary[f"epochs_{name}_{budget}"] = len(history["train"])
                summary[f"simulation_seconds_{name}_{budget}"] = sim_seconds
                for k in p.observations:
                    posteriors[k], seconds[k] = posterior, fit_seconds
            else:
                for k in p.observations:
                    start = time.perf_counter()
                    posteriors[k], info = inference.fit_sequential(
                        p.method,
                        task,
                        jnp.asarray(refs[k].observation),
                        budget,
                        key=jr.fold_in(run_key, k),
                        num_rounds=p.num_rounds,
                        flow_kind=f.kind,
                        flow_options=options,
                        fit=fit,
                    )
                    seconds[k] = time.perf_counter() - start
                    if p.method == "tsnpe":
                        mass = info["acceptance"][-1]
                        summary[f"truncated_mass_{name}_{budget}_obs{k}"] = mass
            scores = []
            for k in p.observations:
                ref = refs[k]
                samples = posteriors[k].sample(
                    jr.fold_in(run_key, 100 + k),
                    jnp.asarray(ref.observation),
                    m.num_posterior_samples,
                )
                samples = np.asarray(samples)
                start = time.perf_counter()
                n = m.num_c2st_samples
                score = inference.c2st(ref.reference_samples[:n], samples[:n])
                summary[f"c2st_seconds_{name}_{budget}_obs{k}"] = time.perf_counter() - start
                summary[f"c2st_{name}_{budget}_obs{k}"] = score
                summary[f"train_seconds_{name}_{budget}_obs{k}"] = seconds[k]
                scores.append(score)
                arrays[f"{name}_{budget}_obs{k}"] = samples
            summary[f"c2st_{name}_{budget}"] = float(np.mean(scores))
            if budget in PUBLISHED_NPE_C2ST_OBS1.get(name, {}):
                obs1, mean = PUBLISHED_NPE_C2ST_OBS1[name], PUBLISHED_NPE_C2ST_MEAN[name]
                summary[f"sbibm_npe_c2st_obs1_{name}_{budget}"] = obs1[budget]
                summary[f"sbibm_npe_c2st_mean_{name}_{budget}"] = mean[budget]
            if run is not None:  # partial results survive an interrupted benchmark
                run.write_summary(summary)
        if run is not None:
            k = p.observations[0]
            sets = {"reference": refs[k].reference_samples}
            for budget in p.budgets:
                sets[f"{p.method.upper()} {budget} sims"] = arrays[f"{name}_{budget}_obs{k}"]
            run.save_figure(
                plot_posterior_pairs(
                    sets, truth=refs[k].true_parameters, title=f"{name}, observation {k}"
                ),
                f"pairs_{name}",
            )
        if name in m.sbc_tasks and p.method == "npe":
            summary.update(_sbc(task, posterior, m, jr.fold_in(key, 10_000 + t_index), run))
    if run is not None:
        run.save_npz("posterior_samples", **arrays)
    return summary


def _sbc(task, posterior, m: MetricConfig, key, run) -> dict:
    prior_key, sim_key, post_key = jr.split(key, 3)
    theta = task.prior.sample(prior_key, (m.sbc_num,))
    x = task.simulate_batch(theta, key=sim_key)
    draws = np.stack(
        [posterior.sample(jr.fold_in(post_key, i), x[i], m.sbc_draws) for i in range(m.sbc_num)]
    )
    ranks = inference.sbc_ranks(theta, draws)
    tests = inference.sbc_uniformity(ranks, m.sbc_draws)
    if run is not None:
        run.save_figure(
            plot_sbc_ranks(ranks, m.sbc_draws, title=f"SBC ranks, {task.name}"), f"sbc_{task.name}"
        )
    return {
        f"sbc_ks_pvalue_min_{task.name}": float(tests["ks_pvalue"].min()),
        f"sbc_chi2_pvalue_min_{task.name}": float(tests["chi2_pvalue"].min()),
    }
