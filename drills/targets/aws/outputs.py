"""The deployed stacks as the drill sees them: ``cfn-outputs/flat-outputs.json`` read once, typed.

Written by ``python -m cdk_app.flat_outputs`` from the stacks' outputs. Refused, with one line naming
the file and the fix, when it is missing, is not JSON, was written by the sandbox, or lacks a key of
the outputs contract. Regions come from the outputs, never from the environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from contracts.outputs import OutputKey, RegionalKey, Side, all_keys, regional

AWS_KIND = "aws"


class OutputsError(ValueError):
    """The outputs file cannot drive an AWS drill; the message names the file and what to do."""


@dataclass(frozen=True)
class RestApi:
    """API Gateway REST API id and stage, parsed from an ``ApiUrl`` output."""

    api_id: str
    stage: str


@dataclass(frozen=True)
class AwsOutputs:
    values: dict[str, str]
    path: Path

    @classmethod
    def load(cls, path: Path) -> AwsOutputs:
        hint = "write it with `python -m cdk_app.flat_outputs --suffix <suffix>`"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise OutputsError(f"--outputs {path}: no such file; {hint}") from None
        except (OSError, ValueError) as err:
            raise OutputsError(
                f"--outputs {path}: not a JSON outputs file ({type(err).__name__}); {hint}"
            ) from None
        if not isinstance(data, dict):
            raise OutputsError(f"--outputs {path}: expected a JSON object of output keys; {hint}")
        kind = data.get(OutputKey.TARGET_KIND)
        if kind != AWS_KIND:
            raise OutputsError(
                f"--outputs {path}: written for target kind {kind!r}, not 'aws' "
                f"(the sandbox writes its own); {hint}"
            )
        missing = sorted(all_keys() - data.keys())
        if missing:
            raise OutputsError(f"--outputs {path}: missing {', '.join(missing)}; redeploy and {hint}")
        return cls(values={str(k): str(v) for k, v in data.items()}, path=path)

    def get(self, key: OutputKey) -> str:
        return self.values[key.value]

    def of(self, side: Side, key: RegionalKey) -> str:
        return self.values[regional(side, key)]

    @property
    def suffix(self) -> str:
        return self.get(OutputKey.ENVIRONMENT_SUFFIX)

    def region(self, side: Side) -> str:
        return self.get(OutputKey.PRIMARY_REGION if side is Side.PRIMARY else OutputKey.DR_REGION)

    def endpoint(self, side: Side, key: RegionalKey, default_port: OutputKey) -> tuple[str, str]:
        """(host, port) of ``side``'s endpoint output ``key``: an endpoint given as ``host:port`` (the
        sandbox's outputs, each engine on its own port) keeps its port, else ``default_port``'s."""
        host, _, port = self.of(side, key).partition(":")
        return host, port or self.get(default_port)

    def side_of(self, region: str) -> Side:
        """The side (primary or DR, as deployed) of ``region``; one line naming both when it is neither."""
        for side in Side:
            if self.region(side) == region:
                return side
        raise ValueError(f"region {region!r} is not in {self.path}: use "
                         f"{self.region(Side.PRIMARY)} or {self.region(Side.DR)}")

    def rest_api(self, side: Side) -> RestApi:
        """``https://<id>.execute-api.<region>.amazonaws.com/<stage>/`` → id and stage."""
        url = urlparse(self.of(side, RegionalKey.API_URL))
        api_id = (url.hostname or "").split(".", 1)[0]
        stage = url.path.strip("/").split("/", 1)[0]
        if not api_id or not stage:
            raise OutputsError(
                f"--outputs {self.path}: {regional(side, RegionalKey.API_URL)} is not an "
                "API Gateway stage URL (https://<id>.execute-api.<region>.amazonaws.com/<stage>/)"
            )
        return RestApi(api_id=api_id, stage=stage)
