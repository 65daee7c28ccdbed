"""Upload a drill run's evidence to the deployment's evidence bucket (Object Lock, DR region).

Run by the control-plane image after every drill-run task, whatever the run's outcome (the evidence
of a failed drill matters most): ``python -m htdr.evidence_upload --outputs FILE --reports-dir DIR
--prefix control-plane/<run>``. The bucket and its region come from the outputs file
(``EvidenceBucketName``, ``DrRegion``); the bucket's default retention (COMPLIANCE, 6 years) locks
every object it receives, so this never sets retention itself. Credentials: boto3's standard chain
(the run task's role). Every evidence folder is uploaded; nothing is deleted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from contracts.evidence_layout import SOURCE_DIRS
from contracts.outputs import OutputKey


class EvidenceUploadError(RuntimeError):
    """The evidence cannot be uploaded; one line naming the input and the fix."""


def evidence_files(reports_dir: Path) -> list[Path]:
    """Every file of the evidence folders (journals, integrity results, gate outputs)."""
    return sorted(
        path for folder in SOURCE_DIRS for path in (reports_dir / folder).rglob("*") if path.is_file()
    )


def destination(outputs: Path) -> tuple[str, str]:
    """(bucket, region) from the outputs file."""
    try:
        flat = json.loads(outputs.read_text(encoding="utf-8"))
        return str(flat[OutputKey.EVIDENCE_BUCKET_NAME.value]), str(flat[OutputKey.DR_REGION.value])
    except FileNotFoundError:
        raise EvidenceUploadError(
            f"{outputs}: missing; write it first (python -m cdk_app.flat_outputs)"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise EvidenceUploadError(
            f"{outputs}: no {OutputKey.EVIDENCE_BUCKET_NAME.value}/{OutputKey.DR_REGION.value}; rewrite it"
        ) from None


def upload(reports_dir: Path, outputs: Path, prefix: str, client: Any | None = None) -> list[str]:
    """Put every evidence file under ``prefix/``; returns the object keys written."""
    bucket, region = destination(outputs)
    if client is None:
        import boto3

        client = boto3.client("s3", region_name=region)
    keys = []
    for path in evidence_files(reports_dir):
        key = f"{prefix.strip('/')}/{path.relative_to(reports_dir).as_posix()}"
        client.upload_file(str(path), bucket, key, ExtraArgs={"ChecksumAlgorithm": "SHA256"})
        keys.append(key)
    return keys


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Upload drill evidence to the evidence bucket")
    parser.add_argument("--outputs", type=Path, required=True, help="cfn-outputs/flat-outputs.json")
    parser.add_argument("--reports-dir", type=Path, required=True, help="where the run wrote evidence")
    parser.add_argument("--prefix", required=True, help="key prefix, e.g. control-plane/<run>")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        keys = upload(args.reports_dir, args.outputs, args.prefix)
    except EvidenceUploadError as error:
        print(f"evidence upload: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"evidence upload: S3 refused or unreachable ({type(error).__name__}); evidence stays in "
              f"{args.reports_dir}", file=sys.stderr)  # fmt: skip
        return 1
    print(f"evidence upload: {len(keys)} files under {args.prefix.strip('/')}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
