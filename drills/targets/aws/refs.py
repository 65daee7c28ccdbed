"""Replace every ``Ref`` in a step by the value read at run time (before a rollback is saved or a call)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from drills.targets.aws.steps import Ref

T = TypeVar("T")


class UnresolvedRef(RuntimeError):
    """A step needs a value no capture of its action read."""


def resolve(value: T, values: dict[str, Any]) -> T:
    """``value`` with every ``Ref`` replaced, recursively through steps, dicts and lists."""
    resolved: T = _resolve(value, values)
    return resolved


def _resolve(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        if value.name not in values:
            raise UnresolvedRef(f"{value.name} ({value.how}) was not read before it was needed")
        return values[value.name]
    if isinstance(value, dict):
        return {k: _resolve(v, values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_resolve(v, values) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _resolve(getattr(value, f.name), values) for f in fields(value)})
    return value


def refs_in(value: Any) -> list[Ref]:
    """Every ``Ref`` a step (or a structure of steps) mentions, in order."""
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, dict):
        return [r for v in value.values() for r in refs_in(v)]
    if isinstance(value, list | tuple):
        return [r for v in value for r in refs_in(v)]
    if is_dataclass(value) and not isinstance(value, type):
        return [r for f in fields(value) for r in refs_in(getattr(value, f.name))]
    return []
