"""The drill's Dagster run config, derived from ``DrillConfig``: every field, its default and its
description, so every parameter can be set in the launchpad and none is copied by hand.

Dagster checks the types; ``DrillConfig`` checks ranges and coherence before the target is touched,
so an invalid value fails the run at once with one line naming the field.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal, get_args

from dagster import Config
from pydantic import BaseModel, Field, create_model

from drills.scenarios.config import DrillConfig, parse_config


def _run_config_of(model: type[BaseModel], name: str) -> type[Config]:
    """A Dagster ``Config`` class with ``model``'s fields (nested models become nested configs)."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation = info.annotation
        default = info.get_default(call_default_factory=True)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested = _run_config_of(annotation, f"{annotation.__name__}RunConfig")
            fields[field_name] = (nested, Field(default_factory=nested, description=info.description))
            continue
        if field_name in TARGET_DEFAULTED:
            choices: Any = Literal[(*(m.value for m in annotation), DEFAULT)]  # type: ignore[union-attr]
            fields[field_name] = (choices, Field(default=DEFAULT, description=f"{info.description or ''}"
                                                 f" ('{DEFAULT}': the target's, {_plain(default)} locally)"))
            continue
        fields[field_name] = (_by_value(annotation), Field(default=_plain(default),
                                                           description=info.description))
    config: type[Config] = create_model(name, __base__=Config, __doc__=model.__doc__, **fields)
    return config


def _by_value(annotation: Any) -> Any:
    """An enum as the literal of its values (the launchpad takes ``sync``, not ``SYNC``); an optional
    enum adds ``DEFAULT`` for "not set" (Dagster has no optional literal)."""
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return Literal[tuple(m.value for m in annotation)]
    args = get_args(annotation)
    if isinstance(annotation, types.UnionType) and type(None) in args:
        (enum,) = [a for a in args if a is not type(None)]
        if isinstance(enum, type) and issubclass(enum, StrEnum):
            return Literal[(*(m.value for m in enum), DEFAULT)]
    return annotation


def _plain(value: Any) -> Any:
    if value is None:
        return DEFAULT
    return value.value if isinstance(value, StrEnum) else value


#: The launchpad's value for an optional setting left to ``DrillConfig``'s default.
DEFAULT = "default"
#: Settings whose default is the target's: the aws target replicates asynchronously only.
TARGET_DEFAULTED = frozenset({"replication_mode"})

_DrillRunConfigBase = _run_config_of(DrillConfig, "DrillRunConfigBase")


class DrillRunConfig(_DrillRunConfigBase):  # type: ignore[misc, valid-type]
    def to_drill_config(self, target_defaults: Mapping[str, object] | None = None) -> DrillConfig:
        """Validated ``DrillConfig`` or ``DrillConfigError`` (one line). A target-defaulted setting
        left at ``default`` takes ``target_defaults``' value, else ``DrillConfig``'s."""
        raw: dict[str, object] = {}
        for key, value in self.model_dump().items():
            if value != DEFAULT:
                raw[key] = value
            elif key in TARGET_DEFAULTED:
                if key in (target_defaults or {}):
                    raw[key] = (target_defaults or {})[key]
            else:
                raw[key] = None
        return parse_config(raw)
