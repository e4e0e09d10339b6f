"""Turning a nested dict (from YAML) into a typed, frozen config dataclass.

Every problem is reported as a `ConfigError` naming the file, the dotted key, the value
given and what is allowed. Nothing is coerced silently except what YAML itself gets
wrong: `1e-3` (read by YAML 1.1 as a string) is accepted for a float field.
"""

import dataclasses
import difflib
import math
import types
import typing
from typing import Any, Literal, TypeVar, Union

from ._errors import ConfigError

T = TypeVar("T")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is tuple:
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    if tp is type(None):
        return "null"
    if dataclasses.is_dataclass(tp):
        return f"a mapping of {tp.__name__} fields"
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp: Any, key: str, source: str | None) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(
            f"got {_show(value)} ({type(value).__name__}), expected {expected}",
            source=source,
            key=key,
        )

    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option, key, source)
            except ConfigError as error:
                errors.append(error)
        raise fail(_type_name(tp))
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value in allowed and type(value) in {type(a) for a in allowed}:
            return value
        raise fail(_type_name(tp))
    if origin is tuple:
        (item_type, *rest) = typing.get_args(tp)
        if not isinstance(value, list | tuple):
            raise fail(_type_name(tp))
        return tuple(_convert(v, item_type, f"{key}[{i}]", source) for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise fail(_type_name(tp))
        return parse_config(tp, value, source=source, prefix=key)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise fail("true or false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise fail("an integer")
    if tp is float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise fail("a number") from None
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise fail("a finite number")
            return float(value)
        raise fail("a number")
    if tp is str:
        if isinstance(value, str):
            return value
        raise fail("a string")
    if tp is Any:
        return value
    raise TypeError(f"config field {key!r} has unsupported type {tp!r}")


def _check_bounds(value: Any, meta: typing.Mapping, key: str, source: str | None) -> None:
    if value is None:
        return
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(
            f"got {_show(value)}, expected one of {', '.join(map(repr, choices))}",
            source=source,
            key=key,
        )
    checks = (
        ("ge", lambda v, b: v >= b, ">="),
        ("gt", lambda v, b: v > b, ">"),
        ("le", lambda v, b: v <= b, "<="),
        ("lt", lambda v, b: v < b, "<"),
    )
    for name, ok, symbol in checks:
        bound = meta.get(name)
        if bound is None:
            continue
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            if isinstance(item, str):  # a named choice beside numbers, e.g. devices: all
                continue
            if not ok(item, bound):
                doc = f" ({meta['doc']})" if meta.get("doc") else ""
                raise ConfigError(
                    f"got {_show(item)}, expected a value {symbol} {bound}{doc}",
                    source=source,
                    key=key,
                )


def parse_config(cls: type[T], data: Any, *, source: str | None = None, prefix: str = "") -> T:
    """Build the frozen dataclass `cls` from a nested mapping, checking everything.

    **Arguments:**

    - `cls`: a dataclass whose fields use the supported types (bool, int, float, str,
      `Literal`, `X | None`, `tuple[X, ...]`, nested dataclasses) and optional `spec`
      bounds.
    - `data`: the mapping, e.g. `yaml.safe_load(text)`.
    - `source`: the file name used in error messages.
    - `prefix`: the dotted key of this mapping inside the whole config.

    **Returns:** an instance of `cls`.

    **Raises:** `ConfigError` for an unknown key, a missing required key, a wrong type, a
    value out of range, or a cross-field check (a `ValueError` from `__post_init__`).
    """
    dotted = (prefix + ".") if prefix else ""
    if not isinstance(data, dict):
        raise ConfigError(
            f"got {_show(data)}, expected a mapping of {cls.__name__} fields",
            source=source,
            key=prefix or None,
        )
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    for name in data:
        if name not in fields:
            close = difflib.get_close_matches(str(name), fields, n=1)
            hint = f"did you mean '{dotted}{close[0]}'? " if close else ""
            raise ConfigError(
                f"unknown key; {hint}allowed keys here: {', '.join(sorted(fields))}",
                source=source,
                key=f"{dotted}{name}",
            )
    kwargs = {}
    for name, f in fields.items():
        key = f"{dotted}{name}"
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(
                    f"missing required key (expected {_type_name(hints[name])})",
                    source=source,
                    key=key,
                )
            continue
        value = _convert(data[name], hints[name], key, source)
        _check_bounds(value, f.metadata, key, source)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except ValueError as error:
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(str(error), source=source, key=prefix or None) from None


def config_to_dict(config: Any) -> dict:
    """The plain nested-dict form of a config dataclass (tuples become lists), for YAML."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        return value

    return plain(config)
