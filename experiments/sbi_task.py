"""One sbibm task, one SBI method, one budget and one observation: posterior samples and C2ST.

Simulate `num_simulations` pairs with the task's JAX simulator (vmapped), fit the chosen
method (`npe`, `nle`, `nre` amortised; `tsnpe`, `snle`, `snre` in rounds for the
observation, a tqdm bar over the rounds), draw `num_posterior_samples` posterior samples
for sbibm's observation `num_observation` (directly for NPE, by NUTS for NLE and NRE),
write them to `posterior_samples.npz` (`samples`, `num_observation`) and score them by
C2ST against sbibm's 10,000 reference samples, beside sbibm's published C2ST for the same
method, budget and observation where it exists.
"""

import time
from dataclasses import dataclass

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import inference
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.viz import plot_posterior_pairs

DESCRIPTION = "one sbibm task with NPE/TSNPE/NLE/SNLE/NRE/SNRE: posterior_samples.npz and C2ST"

# sbibm's C2ST on observation 1 (sbi's NSF for NPE/NLE, ResNet classifiers for NRE;
# SNLE/SNRE in 10 rounds), quoted from sbi-benchmark/results,
# benchmarking_sbi/results/main_paper.csv (Lueckmann et al. 2021, Fig. 3).
PUBLISHED_C2ST_OBS1 = {
    "two_moons": {
        "npe": {1000: 0.666, 10000: 0.542, 100000: 0.518},
        "nle": {1000: 0.675, 10000: 0.632, 100000: 0.598},
        "nre": {1000: 0.794, 10000: 0.712, 100000: 0.551},
        "snle": {1000: 0.569, 10000: 0.504, 100000: 0.502},
        "snre": {1000: 0.678, 10000: 0.644, 100000: 0.551},
    },
    "gaussian_linear": {
        "npe": {1000: 0.707, 10000: 0.565, 100000: 0.506},
        "nle": {1000: 0.647, 10000: 0.558, 100000: 0.523},
        "nre": {1000: 0.604, 10000: 0.544, 100000: 0.521},
        "snle": {1000: 0.645, 10000: 0.555, 100000: 0.511},
        "snre": {1000: 0.670, 10000: 0.544, 100000: 0.516},
    },
    "gaussian_linear_uniform": {
        "npe": {1000: 0.708, 10000: 0.557, 100000: 0.502},
        "nle": {1000: 0.697, 10000: 0.540, 100000: 0.506},
        "nre": {1000: 0.737, 10000: 0.674, 100000: 0.604},
        "snle": {1000: 0.639, 10000: 0.556, 100000: 0.504},
        "snre": {1000: 0.658, 10000: 0.588, 100000: 0.531},
    },
    "gaussian_mixture": {
        "npe": {1000: 0.716, 10000: 0.664, 100000: 0.579},
        "nle": {1000: 0.922, 10000: 0.723, 100000: 0.741},
        "nre": {1000: 0.791, 10000: 0.778, 100000: 0.759},
        "snle": {1000: 0.762, 10000: 0.910, 100000: 0.583},
        "snre": {1000: 0.747, 10000: 0.654, 100000: 0.518},
    },
    "slcp": {
        "npe": {1000: 0.988, 10000: 0.944, 100000: 0.915},
        "nle": {1000: 0.966, 10000: 0.743, 100000: 0.714},
        "nre": {1000: 0.989, 10000: 0.961, 100000: 0.938},
        "snle": {1000: 0.947, 10000: 0.702, 100000: 0.557},
        "snre": {1000: 0.978, 10000: 0.941, 100000: 0.795},
    },
    "bernoulli_glm": {
        "npe": {1000: 0.873, 10000: 0.675, 100000: 0.573},
        "nle": {1000: 0.684, 10000: 0.593, 100000: 0.547},
        "nre": {1000: 0.886, 10000: 0.799, 100000: 0.691},
        "snle": {1000: 0.556, 10000: 0.542, 100000: 0.516},
        "snre": {1000: 0.699, 10000: 0.574, 100000: 0.524},
    },
    "lotka_volterra": {
        "npe": {1000: 0.999, 10000: 0.998, 100000: 0.986},
        "nle": {1000: 0.996, 10000: 0.981, 100000: 0.974},
        "nre": {1000: 1.000, 10000: 0.999, 100000: 0.999},
        "snle": {1000: 0.947, 10000: 0.774, 100000: 0.679},
        "snre": {1000: 0.976, 10000: 0.865, 100000: 0.898},
    },
    "sir": {
        "npe": {1000: 0.953, 10000: 0.897, 100000: 0.598},
        "nle": {1000: 0.729, 10000: 0.804, 100000: 0.684},
        "nre": {1000: 0.769, 10000: 0.623, 100000: 0.597},
        "snle": {1000: 0.819, 10000: 0.737, 100000: 0.743},
        "snre": {1000: 0.584, 10000: 0.722, 100000: 0.528},
    },
}


@dataclass(frozen=True)
class ProblemConfig:
    task: str = spec("two_moons", choices=tuple(inference.TASKS), doc="an sbibm task name")
    method: str = spec("npe", choices=inference.METHODS)
    num_simulations: int = spec(10000, ge=10, doc="the simulation budget")
    num_observation: int = spec(1, ge=1, le=10, doc="sbibm's observation number")
    num_rounds: int = spec(10, ge=1, doc="sequential methods: rounds, the budget split evenly")
    progress: bool = spec(True, doc="a tqdm bar over the rounds of sequential methods")


@dataclass(frozen=True)
class FlowConfig:
    kind: str = spec("nsf", choices=("nsf", "maf"), doc="NPE/NLE: spline coupling or affine MAF")
    flow_layers: int = spec(5, ge=1)
    nn_width: int = spec(50, ge=1)
    classifier_width: int = spec(50, ge=1, doc="NRE: the ratio classifier's MLP width")
    classifier_depth: int = spec(3, ge=1, doc="NRE: hidden layers")
    learning_rate: float = spec(5e-4, gt=0.0)
    batch_size: int = spec(128, ge=1)
    max_epochs: int = spec(500, ge=1)
    patience: int = spec(20, ge=1, doc="epochs without a better validation loss")


@dataclass(frozen=True)
class MCMCSettings:
    num_chains: int = spec(100, ge=1, doc="NLE/NRE: NUTS chains (vmapped)")
    num_warmup: int = spec(300, ge=1, doc="window-adaptation steps per chain")
    thin: int = spec(1, ge=1)
    num_init_candidates: int = spec(10000, ge=1, doc="prior draws the starts are resampled from")


@dataclass(frozen=True)
class MetricConfig:
    num_posterior_samples: int = spec(10000, ge=1, doc="sbibm: 10,000")
    c2st: bool = spec(True, doc="score the samples by C2ST against sbibm's reference")
    num_c2st_samples: int = spec(10000, ge=100, doc="per side in C2ST; sbibm: 10,000")
    pair_plot: bool = spec(True, doc="figures/pairs.png: ours beside sbibm's reference samples")


Config = wf.experiment_config(
    problem=ProblemConfig, flow=FlowConfig, mcmc=MCMCSettings, metric=MetricConfig
)


def run(config: Config, run) -> dict:
    p, f, m = config.problem, config.flow, config.metric
    task = inference.get_task(p.task)
    ref = task.reference(p.num_observation)
    x_o = jnp.asarray(ref.observation)
    key = jr.key(config.seed)
    options = dict(
        flow_kind=f.kind,
        flow_options=dict(flow_layers=f.flow_layers, nn_width=f.nn_width),
        classifier_options=dict(width=f.classifier_width, depth=f.classifier_depth),
        fit=inference.FitConfig(
            learning_rate=f.learning_rate,
            batch_size=f.batch_size,
            max_epochs=f.max_epochs,
            patience=f.patience,
        ),
        mcmc=inference.MCMCConfig(
            num_chains=config.mcmc.num_chains,
            num_warmup=config.mcmc.num_warmup,
            thin=config.mcmc.thin,
            num_init_candidates=config.mcmc.num_init_candidates,
        ),
    )
    summary = {"task": p.task, "method": p.method, "num_simulations": p.num_simulations}
    summary["num_observation"] = p.num_observation
    start = time.perf_counter()
    if p.method in inference.SEQUENTIAL_METHODS:
        posterior, info = inference.fit_sequential(
            p.method,
            task,
            x_o,
            p.num_simulations,
            key=jr.fold_in(key, 1),
            num_rounds=p.num_rounds,
            progress=p.progress,
            **options,
        )
        summary["simulations_per_round"] = info["simulations"]
    else:
        theta, x = inference.simulate_for_sbi(task, p.num_simulations, key=jr.fold_in(key, 0))
        summary["simulate_seconds"] = time.perf_counter() - start
        posterior, history = inference.fit_amortized(
            p.method, task, theta, x, key=jr.fold_in(key, 1), **options
        )
        summary["epochs"] = len(history["train"])
    summary["train_seconds"] = time.perf_counter() - start

    start = time.perf_counter()
    samples = np.asarray(posterior.sample(jr.fold_in(key, 2), x_o, m.num_posterior_samples))
    summary["sample_seconds"] = time.perf_counter() - start
    if run is not None:
        run.save_npz(
            "posterior_samples", samples=samples, num_observation=np.asarray(p.num_observation)
        )
    if run is not None:  # the samples' summary survives a C2ST that runs out of time
        run.write_summary(summary)
    if m.c2st:
        start = time.perf_counter()
        n = m.num_c2st_samples
        summary["c2st"] = inference.c2st(ref.reference_samples[:n], samples[:n])
        summary["c2st_seconds"] = time.perf_counter() - start
    published = PUBLISHED_C2ST_OBS1.get(p.task, {}).get(p.method, {})
    if p.num_observation == 1 and p.num_simulations in published:
        summary["sbibm_c2st_obs1"] = published[p.num_simulations]
    if run is not None:
        run.write_summary(summary)
    if run is not None and m.pair_plot:
        sets = {"reference": ref.reference_samples, p.method.upper(): samples}
        title = f"{p.task}, observation {p.num_observation}, {p.num_simulations} simulations"
        run.save_figure(plot_posterior_pairs(sets, truth=ref.true_parameters, title=title), "pairs")
    return summary
