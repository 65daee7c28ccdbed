"""One synthesis of the whole app per profile and test session (jsii is slow), shared by the stack tests.

Two profiles: the defaults a user gets (``synthesized``) and production with a hosted zone for client
failover (``synthesized_production``); every template of both is linted with cfn-lint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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
PRODUCTION_CONTEXT = {
    **CONTEXT,
    "environmentSuffix": "prod",
    "production": "true",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "domainName": "ingest.example.org",
}


@dataclass
class Synthesized:
    """The synthesized app: raw templates, their regions, assertion templates and the validation report."""

    config: AppConfig
    outdir: Path
    templates: dict[str, dict[str, Any]]
    regions: dict[str, str]
    artifacts: dict[str, str]
    report: dict[str, Any]
    #: synthesis messages (annotations) of every stack: (level, text)
    messages: list[tuple[str, str]]

    def template(self, stack: str) -> Template:
        """An assertions Template built from the stored JSON (no second synthesis)."""
        return Template.from_json(self.templates[stack])

    def template_file(self, stack: str) -> Path:
        """The synthesized template file of ``stack`` (what cdk deploy and cfn-lint read)."""
        return self.outdir / f"{self.artifacts[stack]}.template.json"

    def resources(self, resource_type: str, stack: str | None = None) -> dict[str, dict[str, Any]]:
        """Resources of ``resource_type`` (in one stack, or all stacks keyed ``stack/logicalId``)."""
        stacks = [stack] if stack else list(self.templates)
        found = {}
        for name in stacks:
            for logical_id, resource in self.templates[name].get("Resources", {}).items():
                if resource["Type"] == resource_type:
                    found[logical_id if stack else f"{name}/{logical_id}"] = resource
        return found


def synthesize(context: Mapping[str, object], outdir: Path) -> Synthesized:
    """Build and synthesize the whole app once into ``outdir``."""
    app, config = new_app(context, str(outdir))
    stacks = build(app, config)
    app.synth()
    templates = {
        role: json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
        for role, stack in stacks.items()
    }
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synthesized(
        config=config,
        outdir=outdir,
        templates=templates,
        regions={role: stack.region for role, stack in stacks.items()},
        artifacts={role: stack.artifact_id for role, stack in stacks.items()},
        report=report,
        messages=_messages(outdir),
    )


def _messages(outdir: Path) -> list[tuple[str, str]]:
    """Annotations (aws:cdk:info / warning / error) of every stack, as the CDK CLI prints them."""
    return [
        (entry["type"], str(entry["data"]))
        for metadata in sorted(outdir.glob("*.metadata.json"))
        for entries in json.loads(metadata.read_text()).values()
        for entry in entries
        if entry["type"] in {"aws:cdk:info", "aws:cdk:warning", "aws:cdk:error"}
    ]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield synthesize(CONTEXT, tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def synthesized_production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield synthesize(PRODUCTION_CONTEXT, tmp_path_factory.mktemp("cdk.out.production"))
