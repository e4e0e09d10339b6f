"""Compile time of a second identical run with JAX's persistent compilation cache.

Runs `sciml run CONFIG` twice in fresh processes against an empty cache folder and
prints one JSON line: each run's `compile_s` (lowering + XLA compilation, or reading it
back) and `run_s` from its summary.json, and their ratio (target: second <= 0.2 x first).

Run: `python benchmarks/compile_cache.py [--config configs/burgers_pinn_demo.yaml]
[override ...]`.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import jax

ROOT = Path(__file__).resolve().parents[1]


def timed_run(config: str, overrides: list[str], cache: Path, out: Path, name: str) -> dict:
    env = {**os.environ, "SCIML_COMPILATION_CACHE": str(cache)}
    command = [sys.executable, "-m", "sciml_jax", "run", config, *overrides]
    command += [f"output_dir={out}", f"name={name}", "train.progress=false"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    (summary,) = out.glob(f"*/{name}/summary.json")
    return json.loads(summary.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/burgers_pinn_demo.yaml")
    parser.add_argument("overrides", nargs="*", default=["train.steps=200", "train.lbfgs_steps=50"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache, out = Path(folder) / "cache", Path(folder) / "runs"
        first = timed_run(args.config, args.overrides, cache, out, "first")
        second = timed_run(args.config, args.overrides, cache, out, "second")
        entries = sum(1 for _ in cache.iterdir())
    print(
        json.dumps(
            {
                "benchmark": "compile_cache",
                "config": args.config,
                "overrides": args.overrides,
                "first_compile_s": first["compile_s"],
                "second_compile_s": second["compile_s"],
                "compile_ratio": second["compile_s"] / first["compile_s"],
                "first_run_s": first["run_s"],
                "second_run_s": second["run_s"],
                "cache_entries": entries,
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"{jax.devices()[0].platform}",
                "load_1min": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
