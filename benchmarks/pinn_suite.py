"""The PINN problem set of issue 3: one JSON line per problem (error, wall time, steps/s).

Each problem runs its config from configs/ through the experiment's `run` (the same path
as `sciml run`), without writing a run directory, and reports the figure the issue's
table targets next to the target itself.

Run: `python benchmarks/pinn_suite.py [--problems burgers_pinn,heat_pinn] [key=value ...]`
(overrides apply to every selected problem, e.g. `train.lbfgs_steps=0` for a quick pass).
"""

import argparse
import json
import platform
import time
from pathlib import Path

import jax

from sciml_jax import set_precision
from sciml_jax.config import apply_overrides, load_yaml, parse_config
from sciml_jax.workflow import load_experiment

ROOT = Path(__file__).resolve().parents[1]

# config file -> (figure in the summary, target value, what the target means)
PROBLEMS = {
    "burgers_pinn": ("rel_l2", 2e-4, "rel L2 vs Cole-Hopf on the 256x100 grid"),
    "burgers_pinn_demo": ("rel_l2", None, "rel L2 vs Cole-Hopf, demo budget"),
    "heat_pinn": ("rel_l2", 1e-4, "rel L2 vs modal solution"),
    "poisson_pinn": ("rel_l2", 1e-3, "rel L2 vs manufactured solution"),
    "helmholtz_pinn": ("rel_l2", 1e-3, "rel L2 vs manufactured solution"),
    "eigen_pinn": ("max_lambda_rel_error", 1e-5, "first 3 eigenvalues, max rel error"),
    "inverse_burgers_pinn": ("lambda2_rel_error", 1e-3, "lambda2 rel error, clean data"),
    "inverse_burgers_pinn_noisy": ("lambda2_rel_error", 5e-3, "lambda2 rel error, 1% noise"),
    "allen_cahn_pinn": ("rel_l2", 1e-2, "rel L2 vs ETDRK4 reference (CPU config)"),
    "stefan_pinn": ("front_rel_error", 1e-2, "front position rel error vs Neumann solution"),
    "monotone_cdf": ("penalised_violations", 0, "monotonicity violations on a 1e4 grid"),
    "eos_fit": ("max_param_rel_error", 1e-2, "V0, B0 rel error vs Birch-Murnaghan"),
}


def run_problem(name: str, overrides: list[str]) -> dict:
    path = ROOT / "configs" / f"{name}.yaml"
    data = apply_overrides(load_yaml(path), ["train.progress=false", *overrides], source=str(path))
    module = load_experiment(data["experiment"], source=str(path))
    config = parse_config(module.Config, data, source=str(path))
    set_precision(config.precision)
    start = time.perf_counter()
    summary = module.run(config, None)
    wall = time.perf_counter() - start
    figure, target, meaning = PROBLEMS[name]
    value = summary.get(figure)
    steps = config.train.steps + config.train.lbfgs_steps
    return {
        "benchmark": "pinn_suite",
        "problem": name,
        "figure": figure,
        "value": value,
        "target": target,
        "meets_target": None if target is None or value is None else bool(value <= target),
        "meaning": meaning,
        "wall_time_s": wall,
        "steps": steps,
        "steps_per_s": steps / wall,
        "precision": config.precision,
        "device": f"{jax.devices()[0].platform} ({platform.machine()})",
        "summary": summary,
    }


def residual_memory(n_points: int = 1_000_000, chunk_size: int = 10_000) -> dict:
    """Peak temporary memory of one Burgers loss gradient over `n_points`, from XLA's
    compiled memory analysis: plain vmap versus checkpointed chunks (`pointwise`)."""
    import jax.numpy as jnp
    import jax.random as jr

    from sciml_jax.losses import residual_loss
    from sciml_jax.nn import MLP
    from sciml_jax.pde import Burgers

    model = MLP(2, "scalar", 20, 3, key=jr.key(0))
    points = jnp.zeros((n_points, 2))
    pde = Burgers()

    def gradient(chunk):
        return jax.grad(lambda m: residual_loss(pde.residual, m, points, chunk_size=chunk))

    def temp_bytes(chunk):
        compiled = jax.jit(gradient(chunk)).lower(model).compile()
        return int(compiled.memory_analysis().temp_size_in_bytes)

    plain, chunked = temp_bytes(None), temp_bytes(chunk_size)
    return {
        "benchmark": "pinn_residual_memory",
        "n_points": n_points,
        "chunk_size": chunk_size,
        "peak_temp_mib_vmap": plain / 2**20,
        "peak_temp_mib_chunked": chunked / 2**20,
        "ratio": plain / chunked,
        "device": jax.devices()[0].platform,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--memory", action="store_true", help="only the 1e6-point memory row")
    parser.add_argument("overrides", nargs="*", help="key.sub=value applied to every problem")
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(residual_memory()))
        return
    for name in args.problems.split(","):
        if name not in PROBLEMS:
            raise SystemExit(f"unknown problem {name!r}; choose from {', '.join(PROBLEMS)}")
        if not (ROOT / "configs" / f"{name}.yaml").is_file():
            print(json.dumps({"benchmark": "pinn_suite", "problem": name, "error": "no config"}))
            continue
        print(json.dumps(run_problem(name, args.overrides), default=float), flush=True)


if __name__ == "__main__":
    main()
