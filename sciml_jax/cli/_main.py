"""The `sciml` command: run, list and resume config-driven experiments."""

import argparse
import datetime
import math
import numbers
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..config import ConfigError, apply_overrides, config_to_dict, load_yaml, parse_config
from ..workflow import available_experiments as available
from ..workflow import load_experiment
from ._launch import launch


def _parse(raw: dict, source: str):
    if "experiment" not in raw:
        raise ConfigError(
            f"missing required key 'experiment' (one of: {', '.join(available())})",
            source=source,
        )
    experiment = load_experiment(raw["experiment"], source=source)
    return experiment, parse_config(experiment.Config, raw, source=source)


def _execute(experiment, config, run) -> int:
    import jax

    from .. import set_precision
    from .._compilation import CompileTimer
    from ..distributed import use_devices
    from ..train import DivergenceError, NonFiniteLossError, RunDir

    set_precision(config.precision)
    if jax.process_count() > 1 and jax.process_index() > 0:
        # Process 0 writes the run; the others keep their own copy of what they write.
        run = RunDir.for_worker(run, jax.process_index())
    print(f"run directory: {run.path}", flush=True)
    start = time.perf_counter()
    compile_timer = CompileTimer.start()

    def timing() -> dict:
        wall = time.perf_counter() - start
        return {"compile_s": compile_timer.seconds, "run_s": wall - compile_timer.seconds}

    try:
        with use_devices(config.devices):
            summary = experiment.run(config, run) or {}
    except (NonFiniteLossError, DivergenceError) as error:
        status = "diverged" if isinstance(error, DivergenceError) else "failed"
        run.write_summary(
            {"experiment": config.experiment, "status": status, "error": str(error), **timing()}
        )
        print(f"error: {error}", file=sys.stderr)
        return 3
    except ConfigError as error:
        run.write_summary(
            {"experiment": config.experiment, "status": "failed", "error": str(error)}
        )
        raise
    status, error = "completed", None
    if bad := _non_finite(summary):
        # A run whose figures are NaN/inf is unusable whatever its loss said.
        status = "failed"
        error = (
            f"summary values are not finite: {', '.join(bad)}; the run produced no usable "
            "result. Fix: lower train.optimizer.learning_rate, set "
            "train.optimizer.clip_norm, or check the data for NaN/inf."
        )
    run.write_summary(
        {
            "experiment": config.experiment,
            "status": status,
            **({"error": error} if error else {}),
            **summary,
            **timing(),
            "wall_time_s": time.perf_counter() - start,
        }
    )
    figures = sorted(p.name for p in run.figures_dir.glob("*.png"))
    print(f"summary: {run.summary_path}")
    print(f"figures: {run.figures_dir}/ ({', '.join(figures) or 'none'})")
    for key, value in summary.items():
        if isinstance(value, float):
            print(f"  {key} = {value:.4g}")
    if error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    return 0


def _non_finite(value, key: str = "") -> list[str]:
    """The dotted keys of every NaN/inf number in a (nested) summary."""
    if isinstance(value, dict):
        return [bad for k, v in value.items() for bad in _non_finite(v, f"{key}.{k}" if key else k)]
    if isinstance(value, list | tuple):
        return [bad for i, v in enumerate(value) for bad in _non_finite(v, f"{key}[{i}]")]
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return [] if math.isfinite(value) else [f"{key} = {float(value)}"]
    if hasattr(value, "dtype") and getattr(value, "size", 0) == 1:
        return _non_finite(float(value), key)
    return []


def _run(args) -> int:
    from ..train import RunDir

    source = args.config
    raw = apply_overrides(load_yaml(source), args.overrides, source=source)
    experiment, config = _parse(raw, source)
    name = config.name or (
        f"{Path(source).stem}-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    )
    run = RunDir.create(config.output_dir, config.experiment, name)
    run.save_config(config_to_dict(config))
    if args.processes > 1:
        return launch(run.path, args.processes, compile_cache=not args.no_compile_cache)
    _compile_cache(args)
    return _execute(experiment, config, run)


def _resume(args) -> int:
    from ..train import RunDir

    folder = Path(args.run_dir)
    source = str(folder / "config.yaml")
    if not (folder / "config.yaml").is_file():
        raise ConfigError(
            "no config.yaml here; give a run directory written by `sciml run` "
            "(runs/<experiment>/<run-name>)",
            source=str(folder),
        )
    experiment, config = _parse(load_yaml(source), source)
    if args.processes > 1:
        return launch(folder, args.processes, compile_cache=not args.no_compile_cache)
    _compile_cache(args)
    return _execute(experiment, config, RunDir(folder))


def _compile_cache(args) -> None:
    from .._compilation import enable_compilation_cache

    if not args.no_compile_cache:
        enable_compilation_cache()


def _list(args) -> int:
    for name in available():
        try:
            description = load_experiment(name).DESCRIPTION
        except Exception as error:  # a broken experiment must not hide the others
            description = f"(cannot be loaded: {error})"
        print(f"{name:28s} {description}")
    return 0


def _predict(args) -> int:
    from ..workflow import predict_file

    try:
        path = predict_file(args.run_dir, args.input, args.output)
    except (ValueError, OSError) as error:  # inputs of the wrong key, shape or dtype; no file
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"prediction: {path}")
    return 0


def _version() -> str:
    """The installed distribution's version; the package's own for a source checkout."""
    import importlib.metadata

    try:
        return importlib.metadata.version("sciml_jax")
    except importlib.metadata.PackageNotFoundError:
        from .. import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sciml", description="Run sciml_jax experiments from YAML configs."
    )
    parser.add_argument("--version", action="version", version=f"sciml_jax {_version()}")
    verbs = parser.add_subparsers(dest="verb", required=True)
    run = verbs.add_parser("run", help="run an experiment from a config file")
    run.add_argument("config", help="a YAML file in configs/")
    run.add_argument("overrides", nargs="*", help="key.sub=value overrides, e.g. train.steps=500")
    run.set_defaults(handler=_run)
    resume = verbs.add_parser("resume", help="continue a run from its last checkpoint")
    resume.add_argument("run_dir", help="runs/<experiment>/<run-name>")
    resume.set_defaults(handler=_resume)
    for verb in (run, resume):
        verb.add_argument(
            "--processes",
            type=_positive,
            default=1,
            help="start this many local processes joined by jax.distributed (127.0.0.1); "
            "with devices=all the run uses every process's devices",
        )
        verb.add_argument(
            "--no-compile-cache",
            action="store_true",
            help="do not use the persistent compilation cache (see SCIML_COMPILATION_CACHE)",
        )
    predict = verbs.add_parser("predict", help="apply a finished run's model to new inputs")
    predict.add_argument("run_dir", help="runs/<experiment>/<run-name>, a finished run")
    predict.add_argument("--input", required=True, help="an .npz of inputs ('a' for operators)")
    predict.add_argument("--output", required=True, help="the .npz written, key 'prediction'")
    predict.set_defaults(handler=_predict)
    listing = verbs.add_parser("list", help="list the registered experiments")
    listing.set_defaults(handler=_list)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}, expected a positive integer")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `sciml` and `python -m sciml_jax`; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Overrides may follow a flag (`sciml run CFG --processes 2 devices=all`).
        if args.verb != "run" or any(item.startswith("-") or "=" not in item for item in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.overrides = [*args.overrides, *extra]
    if args.verb in ("run", "resume") and args.processes == 1:
        # A worker started by `launch` (or by a cluster scheduler's environment) joins
        # its job before any other JAX work.
        from ..distributed import initialize_multihost

        initialize_multihost()
    try:
        return args.handler(args)
    except (ConfigError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; continue with `sciml resume RUN_DIR`", file=sys.stderr)
        return 130
