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
        text = path.read_text()
        data = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or type(error).__name__
        where = ""
        if mark is not None:
            line, column = _line_to_fix(text, error)
            where = f" at line {line + 1}, column {column + 1}"
            if line != mark.line:
                where += f" (the parser noticed at line {mark.line + 1})"
            context = getattr(error, "context_mark", None)
            if getattr(error, "context", None) and context and context.line != line:
                where += f" ({error.context} that starts at line {context.line + 1})"
        raise ConfigError(f"not valid YAML{where}: {problem}", source=str(path)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"the top level must be a mapping of keys to values, got {type(data).__name__}",
            source=str(path),
        )
    return data


def _line_to_fix(text: str, error: yaml.YAMLError) -> tuple[int, int]:
    """The 0-based line and column where a YAML syntax error is to be fixed.

    PyYAML reports a key that lost its ':' where it gives up, one line later: a plain
    scalar may continue on the next line, so `steps 100` followed by `chunk_size: 10` is
    read as the key `steps 100 chunk_size`, and the ':' after it is the error. The line
    to fix is the first line that scalar begins (its own line if it starts the line,
    else the next: the value above it swallowed the line).
    """
    mark = error.problem_mark
    if getattr(error, "context", None) == "while scanning a simple key":
        return error.context_mark.line, error.context_mark.column
    if error.problem != "mapping values are not allowed here":
        return mark.line, mark.column
    last = None
    try:
        for token in yaml.scan(text):
            last = token
    except yaml.YAMLError:
        pass
    if not isinstance(last, yaml.ScalarToken) or not last.plain:
        return mark.line, mark.column
    start = last.start_mark
    if start.line >= mark.line:
        return mark.line, mark.column
    lines = text.splitlines()
    starts_line = not lines[start.line][: start.column].strip()
    line = start.line if starts_line else start.line + 1
    return line, len(lines[line]) - len(lines[line].lstrip())


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
