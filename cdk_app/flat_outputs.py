"""Write ``cfn-outputs/flat-outputs.json`` from the deployed stacks' outputs.

``python -m cdk_app.flat_outputs --suffix dev1`` reads every stack of the deployment with
CloudFormation ``DescribeStacks`` (each in its own region), merges the outputs into one flat
``{key: value}`` object and checks it carries every key of the outputs contract. The drills and
the integration tests read that file, whichever target (sandbox or AWS) wrote it. On any problem
it prints one line and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cdk_app.config import DEFAULT_DR_REGION, DEFAULT_PRIMARY_REGION, REGION_AZS
from cdk_app.naming import Naming
from contracts.outputs import all_keys
from contracts.stacks import STACK_ROLES

DEFAULT_OUT = Path("cfn-outputs/flat-outputs.json")


class FlatOutputsError(RuntimeError):
    """The outputs cannot be collected; the message says which stack or key and what to do."""


@dataclass(frozen=True)
class FlatOutputsRequest:
    """Which deployment to read and where to write."""

    suffix: str
    primary_region: str = DEFAULT_PRIMARY_REGION
    dr_region: str = DEFAULT_DR_REGION
    out: Path = DEFAULT_OUT
    endpoint_url: str | None = None


ClientFactory = Callable[[str], Any]


def stack_locations(request: FlatOutputsRequest) -> list[tuple[str, str]]:
    """``(stack name, region)`` of every stack of the deployment, in deploy order."""
    naming = Naming(request.suffix)
    return [
        (naming.stack(role), request.primary_region if primary else request.dr_region)
        for role, primary in STACK_ROLES
    ]


def collect(request: FlatOutputsRequest, client_for: ClientFactory) -> dict[str, str]:
    """Merge the outputs of every stack; raise if a stack is missing or a contract key absent."""
    flat: dict[str, str] = {}
    contract = all_keys()
    for stack_name, region in stack_locations(request):
        try:
            stacks = client_for(region).describe_stacks(StackName=stack_name)["Stacks"]
        except ClientError as error:
            raise FlatOutputsError(
                f"stack {stack_name} in {region}: {error.response['Error'].get('Message', 'not readable')}; "
                "deploy it first (cdk deploy --all) or check --suffix/--primary-region/--dr-region"
            ) from None
        for output in stacks[0].get("Outputs", []):
            if output["OutputKey"] in contract:  # skip CDK's cross-stack "Exports..." outputs
                flat[output["OutputKey"]] = output["OutputValue"]
    missing = sorted(contract - flat.keys())
    if missing:
        raise FlatOutputsError(
            f"outputs contract keys missing from the stacks: {', '.join(missing)}; redeploy with this version"
        )
    return dict(sorted(flat.items()))


def write_atomically(path: Path, data: dict[str, str]) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def boto3_clients(endpoint_url: str | None) -> ClientFactory:
    """CloudFormation client per region (``endpoint_url`` points at a moto server in tests)."""

    def client_for(region: str) -> Any:
        return boto3.client("cloudformation", region_name=region, endpoint_url=endpoint_url)

    return client_for


def parse_args(argv: Sequence[str]) -> FlatOutputsRequest:
    """Command-line → request; regions are validated against the app's known regions."""
    parser = argparse.ArgumentParser(
        prog="python -m cdk_app.flat_outputs", description="Write cfn-outputs/flat-outputs.json"
    )
    parser.add_argument("--suffix", required=True, help="environmentSuffix of the deployment")
    parser.add_argument("--primary-region", default=DEFAULT_PRIMARY_REGION, choices=sorted(REGION_AZS))
    parser.add_argument("--dr-region", default=DEFAULT_DR_REGION, choices=sorted(REGION_AZS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument("--endpoint-url", default=None, help="CloudFormation endpoint (tests/emulators only)")
    args = parser.parse_args(list(argv))
    return FlatOutputsRequest(args.suffix, args.primary_region, args.dr_region, args.out, args.endpoint_url)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: one line on failure (exit 2), the written path on success."""
    request = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        flat = collect(request, boto3_clients(request.endpoint_url))
    except (FlatOutputsError, BotoCoreError) as error:
        print(f"flat_outputs: {error}", file=sys.stderr)
        return 2
    write_atomically(request.out, flat)
    print(f"flat_outputs: wrote {len(flat)} keys to {request.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
