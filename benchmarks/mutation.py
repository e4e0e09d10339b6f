"""Mutation testing of the core modules with mutmut, on a seeded sample of mutants.

Each core module is mutated against the tests that cover it, in a fresh copy of the
committed tree (``git archive HEAD``) in a temporary directory: the working tree is never
touched, so an interrupted run leaves nothing mutated behind. mutmut 3 runs with
``process_isolation = "forkserver"`` and ``forkserver_warmup = "none"``: its default
(fork a process that has already imported the tests) copies JAX's thread pools and
compilation caches into each mutant's process, where a cached ``jit`` would run the
unmutated code. With ``none`` every mutant imports JAX afresh (about 5-10 s each on a
2-core CPU), which is why a seeded sample is run rather than every mutant.

A sampled mutant that mutmut finds no test for counts as a survivor (nothing would
catch it) and is reported in ``no_tests``.

    python benchmarks/mutation.py --sample 8 --seed 0            # all modules
    python benchmarks/mutation.py --only nn/_fno.py --sample 20  # one module

Prints one JSON line per module and a final summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# module (relative to sciml_jax/) -> the test files that cover it
MODULES: dict[str, list[str]] = {
    "ops/_autodiff.py": ["tests/test_ops_autodiff.py"],
    "ops/_finite_difference.py": ["tests/test_sim_finite_difference.py"],
    "ops/_spectral.py": ["tests/test_sim_spectral.py"],
    "sim/spectral/_base.py": ["tests/test_sim_spectral.py"],
    "sim/spectral/_etdrk.py": ["tests/test_sim_spectral.py"],
    "train/_loop.py": ["tests/test_train_engine.py", "tests/test_train_loop_mutants.py"],
    "losses/*": [
        "tests/test_operator_losses.py",
        "tests/test_pinn_losses.py",
        "tests/test_losses_profiled.py",
    ],
    "nn/_fno.py": ["tests/test_nn_fno.py"],
    "nn/_deeponet.py": ["tests/test_nn_deeponet.py"],
}

_GENERATE = """
import os
import mutmut.__main__ as m
m.set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
m.copy_src_dir(); m.copy_also_copy_files(); m.setup_source_paths()
m.store_lines_covered_by_tests(); m.create_mutants(1)
"""
_STATUS = re.compile(r"^\s*(\S+__mutmut_\d+): (.+)$")


def _mutmut(tree: Path, *args: str, timeout: float) -> str:
    """Run mutmut in its own process group; on timeout the whole group is killed (its
    fork server and test processes too) and the mutants left unrun count as "other"."""
    exe = Path(sys.executable).with_name("mutmut")
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    proc = subprocess.Popen(
        [str(exe), *args],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        return proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _statuses(tree: Path) -> dict[str, str]:
    out = _mutmut(tree, "results", "--all", "true", timeout=300)
    return {m[1]: m[2].strip() for m in map(_STATUS.match, out.splitlines()) if m}


def run_module(module: str, tests: list[str], sample: int, seed: int, timeout: float) -> dict:
    start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="sciml-mutation-"))
    try:
        tree = tmp / "tree"
        tree.mkdir()
        archive = subprocess.run(
            ["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        tests = [t for t in tests if (tree / t).exists()]
        config = "\n".join(
            [
                "",
                "[tool.mutmut]",
                'source_paths = ["sciml_jax"]',
                f'only_mutate = ["sciml_jax/{module}"]',
                f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
                'pytest_add_cli_args = ["-x", "-p", "no:cacheprovider"]',
                'also_copy = ["tests"]',
                'process_isolation = "forkserver"',
                'forkserver_warmup = "none"',
                "",
            ]
        )
        with open(tree / "pyproject.toml", "a") as f:
            f.write(config)
        # generate every mutant without running anything (mutmut has no command for it)
        subprocess.run([sys.executable, "-c", _GENERATE], cwd=tree, check=True, capture_output=True)
        names = sorted(_statuses(tree))
        chosen = sorted(random.Random(seed).sample(names, min(sample, len(names))))
        if chosen:
            _mutmut(tree, "run", "--max-children", "1", *chosen, timeout=timeout * len(chosen))
        status = _statuses(tree)
        result = {s: 0 for s in ("killed", "survived", "no_tests", "timeout", "other")}
        survivors = []
        for name in chosen:
            s = status.get(name, "not checked")
            key = {"killed": "killed", "survived": "survived", "no tests": "no_tests"}.get(
                s, "timeout" if "timeout" in s else "other"
            )
            result[key] += 1
            if key in ("survived", "no_tests"):
                survivors.append(name)
        tested = result["killed"] + result["survived"] + result["no_tests"]
        return {
            "module": module,
            "mutants_total": len(names),
            "sampled": len(chosen),
            **result,
            "survival_rate": round((result["survived"] + result["no_tests"]) / tested, 3)
            if tested
            else None,
            "survivors": survivors,
            "seconds": round(time.perf_counter() - start, 1),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # runs the finally blocks: the temporary tree is removed


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=8, help="mutants per module (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None, help="modules, as in MODULES")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    args = parser.parse_args()
    modules = args.only or list(MODULES)
    rows = []
    for module in modules:
        row = run_module(module, MODULES[module], args.sample, args.seed, args.timeout)
        rows.append(row)
        print(json.dumps(row), flush=True)
    tested = sum(r["killed"] + r["survived"] + r["no_tests"] for r in rows)
    survived = sum(r["survived"] + r["no_tests"] for r in rows)
    summary = {"summary": True, "tested": tested, "survived": survived}
    summary["survival_rate"] = round(survived / tested, 3) if tested else None
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
