"""Which key signs a report, resolved once at the CLI edge from ``--signing-key``.

``auto`` (the default) signs when the deployment's outputs file names a report-signing key: the
control-plane stack publishes ``ReportSigningKeyArn``, and the local sandbox creates the same kind of
key in its moto KMS and writes it into the same file, with the sandbox endpoint of its region.
``none`` never signs; a key ARN signs with that key through boto3's standard credential chain.
"""

from __future__ import annotations

import json
from pathlib import Path

from compliance.report.evidence_error import ReportError
from compliance.report.signing import SigningKey
from contracts.outputs import OutputKey, RegionalKey, Side, regional

AUTO, NONE = "auto", "none"
#: moto accepts any credentials; they are only used against a sandbox endpoint on loopback.
SANDBOX_CREDENTIALS = ("sandbox", "sandbox")
_REGION_KEYS = {Side.PRIMARY: OutputKey.PRIMARY_REGION, Side.DR: OutputKey.DR_REGION}


def _region_of(arn: str, source: str) -> str:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "kms" or not parts[3]:
        raise ReportError(
            f"{source}: {arn!r} is not a KMS key ARN; pass arn:aws:kms:<region>:<account>:key/<id>"
        )
    return parts[3]


def signing_key_from_outputs(outputs: Path) -> SigningKey | None:
    """The key the outputs file names (with its sandbox endpoint, if any); None when it names none."""
    if not outputs.is_file():
        return None
    try:
        flat = json.loads(outputs.read_text(encoding="utf-8"))
    except ValueError:
        raise ReportError(
            f"{outputs}: not JSON; rewrite it (python -m cdk_app.flat_outputs) or pass --signing-key none"
        ) from None
    arn = flat.get(OutputKey.REPORT_SIGNING_KEY_ARN.value) if isinstance(flat, dict) else None
    if not arn:
        return None
    region = _region_of(str(arn), f"{outputs} {OutputKey.REPORT_SIGNING_KEY_ARN.value}")
    for side, region_key in _REGION_KEYS.items():
        endpoint = flat.get(regional(side, RegionalKey.AWS_ENDPOINT_URL))
        if endpoint and flat.get(region_key.value) == region:
            return SigningKey(str(arn), region, str(endpoint), SANDBOX_CREDENTIALS)
    return SigningKey(str(arn), region)


def resolve_signing_key(option: str, outputs: Path) -> SigningKey | None:
    """``--signing-key`` → the key to sign with, or None for an unsigned report."""
    if option == NONE:
        return None
    if option == AUTO:
        return signing_key_from_outputs(outputs)
    return SigningKey(option, _region_of(option, "--signing-key"))
