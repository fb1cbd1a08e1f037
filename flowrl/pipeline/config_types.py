"""Command-line config values typed as the schema or the settings dataclass asks.

Snakemake passes a top-level ``--config`` value through int/float/bool parsers, but every
value nested in a list or mapping (``seeds=[0,1]``, ``llm={max_repairs: 1}``) stays a
string. :func:`coerce_config` walks the config beside the schema and, for the free-form
sections, beside the dataclass that reads them (``llm`` -> :class:`LLMSettings`,
``train.settings`` -> :class:`TrainConfig`), so values are typed before validation and
before any job. A value that cannot take its type is refused here, naming the key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

import yaml


class ConfigTypeError(ValueError):
    """A config value that cannot take the type its key asks for."""


def _dataclass_sections() -> dict[tuple[str, ...], type]:
    from flowrl.llm.settings import LLMSettings
    from flowrl.rl.config import TrainConfig

    return {("llm",): LLMSettings, ("train", "settings"): TrainConfig}


def _schema_types(prop: Mapping[str, Any]) -> set[str]:
    kinds = prop.get("type", [])
    found = {kinds} if isinstance(kinds, str) else set(kinds)
    for option in [*prop.get("oneOf", []), *prop.get("anyOf", [])]:
        found |= _schema_types(option)
    return found


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}


def _fits(value: Any, kinds: set[str]) -> bool:
    if isinstance(value, bool):
        return "boolean" in kinds
    return any(isinstance(value, _JSON_TYPES.get(kind, ())) for kind in kinds)


def _parse(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _object_schema(prop: Mapping[str, Any]) -> Mapping[str, Any]:
    if "properties" in prop or "additionalProperties" in prop:
        return prop
    return next((o for o in prop.get("oneOf", []) if o.get("type") == "object"), prop)


def _array_schema(prop: Mapping[str, Any]) -> Mapping[str, Any]:
    if "items" in prop:
        return prop
    return next((o for o in prop.get("oneOf", []) if o.get("type") == "array"), prop)


def _by_schema(value: Any, prop: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    section = _dataclass_sections().get(path)
    kinds = _schema_types(prop)
    if isinstance(value, str) and kinds - {"string"}:
        parsed = _parse(value)
        if "string" not in kinds or (not isinstance(parsed, str) and _fits(parsed, kinds)):
            value = parsed
    if section is not None and isinstance(value, dict):
        return _by_dataclass(value, section, path)
    if isinstance(value, dict):
        obj = _object_schema(prop)
        props = obj.get("properties", {})
        extra = obj.get("additionalProperties")
        out = {}
        for key, item in value.items():
            sub = props.get(key, extra if isinstance(extra, Mapping) else None)
            out[key] = item if sub is None else _by_schema(item, sub, (*path, str(key)))
        return out
    if isinstance(value, list):
        items = _array_schema(prop).get("items")
        if isinstance(items, Mapping):
            return [_by_schema(item, items, (*path, str(n))) for n, item in enumerate(value)]
    return value


def _refuse(path: tuple[str, ...], value: Any, kind: str, owner: type) -> ConfigTypeError:
    example = "..."
    for part in reversed(path[1:]):
        example = f"{{{part}: {example}}}"
    return ConfigTypeError(
        f"config key {'.'.join(path)}={value!r} is not {kind} ({owner.__name__} reads it); "
        f"fix it in --config or the config file, e.g. '{path[0]}={example}'"
    )


def _as_type(value: Any, hint: Any, path: tuple[str, ...], owner: type) -> Any:
    """``value`` (a string from the command line, or already typed) as ``hint``."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if type(None) in args and (
            value is None or (isinstance(value, str) and _parse(value) is None)
        ):
            return None
        (hint,) = [a for a in args if a is not type(None)][:1] or (str,)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if isinstance(value, str):
            value = _parse(value)
        if not isinstance(value, dict):
            raise _refuse(path, value, "a mapping", owner)
        return _by_dataclass(value, hint, path)
    if not isinstance(value, str) or hint is str:
        return value
    parsed = _parse(value)
    if hint is bool:
        if not isinstance(parsed, bool):
            raise _refuse(path, value, "true or false", owner)
        return parsed
    if hint is int:
        if isinstance(parsed, bool) or not isinstance(parsed, int | float) or parsed != int(parsed):
            raise _refuse(path, value, "an integer", owner)
        return int(parsed)
    if hint is float:
        if isinstance(parsed, bool) or not isinstance(parsed, int | float):
            raise _refuse(path, value, "a number", owner)
        return float(parsed)
    return value


def _by_dataclass(value: Mapping[str, Any], cls: type, path: tuple[str, ...]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    out = {}
    for key, item in value.items():
        if key not in known:
            raise ConfigTypeError(
                f"config key {'.'.join((*path, str(key)))} is not a {cls.__name__} setting; "
                f"known: {', '.join(sorted(known))}"
            )
        out[key] = _as_type(item, hints[key], (*path, key), cls)
    return out


def coerce_config(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with every value typed as its schema property or settings field asks."""
    props = schema.get("properties", {})
    return {
        key: value if key not in props else _by_schema(value, props[key], (key,))
        for key, value in config.items()
    }
