"""Reading YAML config files and applying `key.sub=value` overrides."""

from pathlib import Path
from typing import Any

import yaml

from ._errors import ConfigError


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file into a dict, with one-line errors for every failure."""
    path = Path(path)
    if not path.is_file():
        hint = " (it is a directory)" if path.is_dir() else ""
        raise ConfigError(
            f"config file not found{hint}; give the path of a YAML file such as "
            "configs/regression.yaml (`sciml list` shows the experiments)",
            source=str(path),
        )
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise ConfigError(f"not valid YAML{where}: {problem}", source=str(path)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"the top level must be a mapping of keys to values, got {type(data).__name__}",
            source=str(path),
        )
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str], *, source: str) -> dict[str, Any]:
    """Return a copy of `data` with each `a.b.c=value` override set (value read as YAML)."""
    result = _deep_copy(data)
    for override in overrides:
        key, sep, text = override.partition("=")
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(
                f"override {override!r} is not of the form key.sub=value "
                "(for example train.steps=500)",
                source=source,
            )
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text
        node = result
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(
                    f"cannot set '{key}': '{'.'.join(parts[: i + 1])}' is a value, not a section",
                    source=source,
                    key=key,
                )
            node = child
        node[parts[-1]] = value
    return result


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data
