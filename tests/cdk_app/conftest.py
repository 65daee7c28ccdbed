"""One synthesis of the whole app per test session (jsii is slow), shared by the stack tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from cdk_app.app import build, new_app
from cdk_app.config import AppConfig

CONTEXT = {
    "environmentSuffix": "test",
    "dbSecret": "htdr/test/aurora-master",
    "cacheSecret": "htdr/test/cache-auth",
    "alarmEmail": "oncall@example.org",
}


@dataclass
class Synthesized:
    """The synthesized app: raw templates, assertion templates and the validation report."""

    config: AppConfig
    outdir: Path
    templates: dict[str, dict[str, Any]]
    report: dict[str, Any]

    def template(self, stack: str) -> Template:
        """An assertions Template built from the stored JSON (no second synthesis)."""
        return Template.from_json(self.templates[stack])

    def resources(self, resource_type: str, stack: str | None = None) -> dict[str, dict[str, Any]]:
        """Resources of ``resource_type`` (in one stack, or all stacks keyed ``stack/logicalId``)."""
        stacks = [stack] if stack else list(self.templates)
        found = {}
        for name in stacks:
            for logical_id, resource in self.templates[name].get("Resources", {}).items():
                if resource["Type"] == resource_type:
                    found[logical_id if stack else f"{name}/{logical_id}"] = resource
        return found


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, config = new_app(CONTEXT, str(outdir))
    stacks = build(app, config)
    app.synth()
    templates = {
        role: json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
        for role, stack in stacks.items()
    }
    report = json.loads((outdir / "validation-report.json").read_text())
    yield Synthesized(config, outdir, templates, report)
