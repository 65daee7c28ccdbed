"""The processor's ECS task definition read from a synthesized template, made runnable on the sandbox.

What ECS would run: the container's ``Command`` in its image's working directory (the Docker build
context CDK staged as the image asset), with ``Environment`` as given and every ``Secrets`` entry
resolved from Secrets Manager by its ``valueFrom``. Template tokens are replaced by the deployment's
values, found by the resource type they point at in ``flat-outputs.json`` (a Kinesis stream's ``Ref``
is the stream name, an Aurora cluster's ``Endpoint.Address`` the writer host...). A token with no
such value fails with its name: a new dependency of the task must be supplied by the sandbox too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.outputs import OutputKey, RegionalKey, Side
from drills.targets.local import ecs_secrets
from tests.integration.deployment import Deployment

#: (resource type, attribute or "Ref") -> (regional output key, part: "host", "port" or "value").
TOKEN_SOURCES: dict[tuple[str, str], tuple[RegionalKey, str]] = {
    ("AWS::Kinesis::Stream", "Ref"): (RegionalKey.STREAM_NAME, "value"),
    ("AWS::Kinesis::Stream", "Arn"): (RegionalKey.STREAM_ARN, "value"),
    ("AWS::RDS::DBCluster", "Endpoint.Address"): (RegionalKey.WRITER_ENDPOINT, "host"),
    ("AWS::RDS::DBCluster", "Endpoint.Port"): (RegionalKey.WRITER_ENDPOINT, "port"),
    ("AWS::ElastiCache::ReplicationGroup", "PrimaryEndPoint.Address"): (RegionalKey.CACHE_ENDPOINT, "host"),
    ("AWS::ElastiCache::ReplicationGroup", "PrimaryEndPoint.Port"): (RegionalKey.CACHE_ENDPOINT, "port"),
}


class UnresolvedToken(LookupError):
    """A template value the deployment's outputs cannot supply."""


@dataclass(frozen=True)
class ContainerContract:
    """One container of a task definition, as written in the template."""

    command: list[str]
    environment: dict[str, Any]
    secrets: dict[str, Any]
    image_dir: Path
    template: dict[str, Any]

    @classmethod
    def from_template(cls, outdir: Path, stack_artifact: str, container: str) -> ContainerContract:
        template = json.loads((outdir / f"{stack_artifact}.template.json").read_text())
        definitions = [
            d for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"
            for d in r["Properties"]["ContainerDefinitions"] if d["Name"] == container
        ]
        assert len(definitions) == 1, f"{stack_artifact}: {len(definitions)} containers named {container}"
        definition = definitions[0]
        return cls(
            command=list(definition.get("EntryPoint", [])) + list(definition["Command"]),
            environment={e["Name"]: e["Value"] for e in definition.get("Environment", [])},
            secrets={s["Name"]: s["ValueFrom"] for s in definition.get("Secrets", [])},
            image_dir=outdir / _image_asset_dir(outdir, stack_artifact),
            template=template,
        )


def _image_asset_dir(outdir: Path, stack_artifact: str) -> str:
    assets = json.loads((outdir / f"{stack_artifact}.assets.json").read_text())
    images = list(assets.get("dockerImages", {}).values())
    assert len(images) == 1, f"{stack_artifact}: expected one image asset, found {len(images)}"
    return str(images[0]["source"]["directory"])


class TokenResolver:
    """Replaces the template's tokens by the deployment's values for ``side``."""

    def __init__(self, contract: ContainerContract, deployment: Deployment, side: Side) -> None:
        self._resources = contract.template["Resources"]
        self._deployment = deployment
        self._side = side

    def resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            (function, argument), = value.items()
            if function == "Fn::Join":
                separator, parts = argument
                return str(separator).join(self.resolve(p) for p in parts)
            if function == "Ref" and argument.startswith("AWS::"):
                return self._pseudo(argument)
            if function == "Ref":
                return self._output(argument, "Ref")
            if function == "Fn::GetAtt":
                logical_id, attribute = argument
                return self._output(logical_id, attribute)
        raise UnresolvedToken(f"no sandbox value for the template value {json.dumps(value)}")

    def _pseudo(self, name: str) -> str:
        if name == "AWS::Region":
            return self._deployment.region(self._side)
        if name == "AWS::Partition":
            return "aws"
        raise UnresolvedToken(f"no sandbox value for the pseudo parameter {name}")

    def _output(self, logical_id: str, attribute: str) -> str:
        resource_type = self._resources[logical_id]["Type"]
        source = TOKEN_SOURCES.get((resource_type, attribute))
        if source is None:
            raise UnresolvedToken(f"no sandbox value for {attribute} of {logical_id} ({resource_type})")
        key, part = source
        value = self._deployment.get(self._side, key)
        if part == "value":
            return value
        host, _, port = value.rpartition(":")
        if part == "host":
            return host
        default = OutputKey.DB_PORT if key is RegionalKey.WRITER_ENDPOINT else OutputKey.CACHE_PORT
        return port or self._deployment.outputs[default]


def resolved_environment(contract: ContainerContract, deployment: Deployment, side: Side) -> dict[str, str]:
    """``Environment`` resolved plus ``Secrets`` fetched as ECS does, by ``valueFrom``."""
    resolver = TokenResolver(contract, deployment, side)
    secretsmanager = deployment.client("secretsmanager", side)
    environment = {name: resolver.resolve(value) for name, value in contract.environment.items()}
    for name, reference in contract.secrets.items():
        environment[name] = ecs_secrets.resolve(secretsmanager, resolver.resolve(reference))
    return environment
