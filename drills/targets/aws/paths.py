"""A tiny path language into boto3 responses: ``Key.0.Members[IsWriter=true].Arn``.

Segments are separated by dots: a key, a list index, or ``Key[a.b=v,c=w]`` which takes the first item
of list ``Key`` whose fields (dotted, for nested ones) all print as the given values (booleans as
``true``/``false``). A path that does not match gives ``None``, never an exception: a describe call
that has not caught up yet is simply "not there yet".
"""

from __future__ import annotations

import re
from typing import Any

_FILTER = re.compile(r"^(?P<key>[^\[]+)\[(?P<conditions>[^\]]+)\]$")


def lookup(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data``, or None when any segment is missing."""
    for segment in _segments(path):
        if data is None:
            return None
        match = _FILTER.match(segment)
        data = _first(_get(data, match["key"]), match["conditions"]) if match else _get(data, segment)
    return data


def _segments(path: str) -> list[str]:
    """Split on dots outside brackets (a filter may hold dotted field names)."""
    out, depth, current = [], 0, ""
    for char in path:
        depth += char == "["
        depth -= char == "]"
        if char == "." and depth == 0:
            out.append(current)
            current = ""
        else:
            current += char
    out.append(current)
    return out


def _get(data: Any, key: str) -> Any:
    if isinstance(data, list):
        return data[int(key)] if key.isdigit() and int(key) < len(data) else None
    if isinstance(data, dict):
        return data.get(key)
    return None


def _first(items: Any, conditions: str) -> Any:
    if not isinstance(items, list):
        return None
    wanted = [c.split("=", 1) for c in conditions.split(",")]
    for item in items:
        if all(printed(lookup(item, field)) == value for field, value in wanted):
            return item
    return None


def printed(value: Any) -> str:
    """How a response value compares with a path filter: booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
