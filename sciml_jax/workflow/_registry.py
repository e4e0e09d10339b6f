"""Finding experiments: one file `experiments/<name>.py` each, loaded by path."""

import dataclasses
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from ..config import ConfigError, RunConfig

ENV_VAR = "SCIML_EXPERIMENTS_DIR"


def experiments_dir() -> Path:
    """`$SCIML_EXPERIMENTS_DIR`, else the repository's `experiments/`, else `./experiments`."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    beside_package = Path(__file__).resolve().parents[2] / "experiments"
    if beside_package.is_dir():
        return beside_package
    return Path.cwd() / "experiments"


def available_experiments() -> list[str]:
    """Names of the experiments in `experiments_dir()`, sorted."""
    folder = experiments_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.py") if not p.name.startswith("_"))


def load_experiment(name: str, *, source: str | None = None) -> ModuleType:
    """Import `experiments/<name>.py` and check it defines DESCRIPTION, Config and run."""
    names = available_experiments()
    if not isinstance(name, str) or name not in names:
        raise ConfigError(
            f"got {name!r}, expected one of the registered experiments: {', '.join(names)} "
            "(`sciml list` describes them)",
            source=source,
            key="experiment",
        )
    module_name = f"sciml_experiments.{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = experiments_dir() / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    config_cls = getattr(module, "Config", None)
    if not (
        isinstance(getattr(module, "DESCRIPTION", None), str)
        and callable(getattr(module, "run", None))
        and dataclasses.is_dataclass(config_cls)
        and issubclass(config_cls, RunConfig)
    ):
        del sys.modules[module_name]
        raise TypeError(
            f"{path} must define DESCRIPTION (str), Config (a RunConfig dataclass) and "
            "run(config, run_dir); see docs/experiments.md"
        )
    return module
