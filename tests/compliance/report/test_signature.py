"""Signed report manifests against a real moto KMS over HTTP.

The signing key is created the way the sandbox creates it (``aws_seed.create_signing_key``), and the
report is built through ``htdr report build`` with an outputs file shaped like the sandbox's. The
signature is cross-checked with KMS's own ``Verify`` (independent of our offline verification), then
every tampering an auditor must catch is tried on a copy of the report.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from compliance.report.cli import app
from compliance.report.evidence_error import ReportError
from compliance.report.manifest import MANIFEST, SIGNATURE, sha256_file, write_manifest
from compliance.report.signing import ALGORITHM, ManifestSigner, SigningKey
from compliance.report.signing_config import resolve_signing_key
from drills.targets.local.aws_seed import create_signing_key
from tests.compliance.report.conftest import make_journal, write_gate_outputs
from tests.moto_server import moto_server

pytestmark = pytest.mark.sandbox
REGION = "ca-west-1"
CREDENTIALS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}


@pytest.fixture(scope="module")
def kms_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto"), sandbox=True) as url:
        yield url


def _kms(url: str):  # type: ignore[no-untyped-def]
    return boto3.client("kms", region_name=REGION, endpoint_url=url, **CREDENTIALS)


def _outputs(path: Path, url: str, key_arn: str) -> Path:
    """The keys of the sandbox's outputs file that signing reads."""
    path.write_text(
        json.dumps(
            {
                "ReportSigningKeyArn": key_arn,
                "PrimaryRegion": "ca-central-1",
                "DrRegion": REGION,
                "PrimaryAwsEndpointUrl": "http://127.0.0.1:9",  # never used: the key is in the DR region
                "DrAwsEndpointUrl": url,
            }
        )
    )
    return path


def _reports(root: Path) -> Path:
    reports = root / "reports"
    make_journal(1).write(reports / "drills")
    write_gate_outputs(reports)
    return reports


@pytest.fixture(scope="module")
def signed(kms_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One report built and signed by ``htdr report build`` with the default ``--signing-key auto``."""
    root = tmp_path_factory.mktemp("signed")
    key_arn = create_signing_key(REGION, kms_url, "sig")
    outputs = _outputs(root / "flat-outputs.json", kms_url, key_arn)
    folder = root / "report"
    result = CliRunner().invoke(
        app, ["build", "--reports-dir", str(_reports(root)), "--out", str(folder), "--outputs", str(outputs)]
    )
    assert result.exit_code == 0, result.output
    assert f"manifest signed with {key_arn}" in result.output
    return folder, key_arn


@pytest.fixture
def copy(signed: tuple[Path, str], tmp_path: Path) -> Path:
    return Path(shutil.copytree(signed[0], tmp_path / "report"))


def _verify(folder: Path, *extra: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["verify", "--signature", str(folder), *extra])
    return result.exit_code, result.output.strip().splitlines()


def test_build_signs_the_manifest_digest_and_kms_agrees(signed: tuple[Path, str], kms_url: str) -> None:
    folder, key_arn = signed
    record = json.loads((folder / SIGNATURE).read_text())
    assert record["algorithm"] == ALGORITHM == "ECDSA_SHA_256"
    assert record["key_id"] == key_arn
    assert record["manifest_sha256"] == sha256_file(folder / MANIFEST)
    # independent cross-check: KMS itself verifies the signature over the manifest's digest
    verdict = _kms(kms_url).verify(
        KeyId=key_arn,
        Message=bytes.fromhex(sha256_file(folder / MANIFEST)),
        MessageType="DIGEST",
        Signature=base64.b64decode(record["signature"]),
        SigningAlgorithm=ALGORITHM,
    )
    assert verdict["SignatureValid"] is True
    der = _kms(kms_url).get_public_key(KeyId=key_arn)["PublicKey"]
    pem_body = "".join(record["public_key_pem"].strip().splitlines()[1:-1])
    assert base64.b64decode(pem_body) == der
    # the signature file is not itself a manifest entry, and the plain verification still passes
    assert SIGNATURE not in json.loads((folder / MANIFEST).read_text())["files"]
    assert CliRunner().invoke(app, ["verify", str(folder)]).exit_code == 0


def test_verify_signature_ok_is_one_line_naming_the_key(signed: tuple[Path, str]) -> None:
    code, lines = _verify(signed[0])
    assert code == 0 and len(lines) == 1
    assert lines[0].startswith("OK: ") and signed[1] in lines[0] and "ECDSA_SHA_256" in lines[0]


def test_a_changed_file_fails_with_one_line(copy: Path) -> None:
    (copy / "evidence.json").write_text((copy / "evidence.json").read_text().replace("passed", "PASSED"))
    code, lines = _verify(copy)
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("FAILED: ") and "evidence.json altered" in lines[0]


def test_a_changed_file_with_a_recomputed_manifest_fails_on_the_signature(copy: Path) -> None:
    (copy / "index.html").write_text("<html>forged</html>")
    write_manifest(copy)  # the forger re-hashes everything: the manifest alone now agrees
    assert CliRunner().invoke(app, ["verify", str(copy)]).exit_code == 0
    code, lines = _verify(copy)
    assert code == 1 and len(lines) == 1
    assert "signature does not verify" in lines[0]


def test_a_forged_signature_fails(copy: Path) -> None:
    record = json.loads((copy / SIGNATURE).read_text())
    raw = bytearray(base64.b64decode(record["signature"]))
    raw[-1] ^= 0x01
    record["signature"] = base64.b64encode(bytes(raw)).decode()
    (copy / SIGNATURE).write_text(json.dumps(record))
    code, lines = _verify(copy)
    assert code == 1 and len(lines) == 1 and "signature does not verify" in lines[0]


def test_an_added_file_fails_with_one_line(copy: Path) -> None:
    (copy / "extra.txt").write_text("slipped in")
    (copy / "evidence.json").write_text("{}")
    code, lines = _verify(copy)
    assert code == 1 and len(lines) == 1 and lines[0].endswith("(+1 more)")


def test_the_pinned_public_key_must_be_the_signer(copy: Path, kms_url: str, tmp_path: Path) -> None:
    other = create_signing_key(REGION, kms_url, "other")
    other_pem = tmp_path / "other.pem"
    der = _kms(kms_url).get_public_key(KeyId=other)["PublicKey"]
    body = base64.encodebytes(der).decode()
    other_pem.write_text(f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n")
    code, lines = _verify(copy, "--public-key", str(other_pem))
    assert code == 1 and len(lines) == 1 and "another key" in lines[0]
    mine = tmp_path / "mine.pem"
    mine.write_text(json.loads((copy / SIGNATURE).read_text())["public_key_pem"])
    assert _verify(copy, "--public-key", str(mine))[0] == 0


def test_an_unsigned_report_fails_signature_verification(copy: Path) -> None:
    (copy / SIGNATURE).unlink()
    code, lines = _verify(copy)
    assert code == 1 and len(lines) == 1 and "built without a signing key" in lines[0]


def test_signing_key_option_resolves_auto_none_and_arns(tmp_path: Path, kms_url: str) -> None:
    outputs = _outputs(tmp_path / "flat-outputs.json", kms_url, f"arn:aws:kms:{REGION}:123456789012:key/k")
    auto = resolve_signing_key("auto", outputs)
    assert auto is not None and auto.endpoint_url == kms_url and auto.region == REGION  # the sandbox's
    assert resolve_signing_key("auto", tmp_path / "absent.json") is None  # nothing configured: unsigned
    assert resolve_signing_key("none", outputs) is None
    arn = "arn:aws:kms:us-east-1:123456789012:key/abc"
    assert resolve_signing_key(arn, outputs) == SigningKey(arn, "us-east-1")  # AWS: the standard chain
    with pytest.raises(ReportError) as error:
        resolve_signing_key("alias/mine", outputs)
    assert str(error.value).startswith("--signing-key: 'alias/mine' is not a KMS key ARN")


def test_unreachable_kms_fails_in_one_line_and_leaves_no_report(tmp_path: Path) -> None:
    outputs = _outputs(
        tmp_path / "flat-outputs.json",
        "http://127.0.0.1:9",
        "arn:aws:kms:ca-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    )
    folder = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["build", "--reports-dir", str(_reports(tmp_path)), "--out", str(folder), "--outputs", str(outputs)],
    )
    assert result.exit_code == 2
    assert "signing key arn:aws:kms:ca-west-1" in result.output and "--signing-key none" in result.output
    assert not folder.exists()
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())
    # the key is reached when the signer is created, i.e. before the report is assembled
    with pytest.raises(ReportError):
        ManifestSigner(SigningKey(json.loads(outputs.read_text())["ReportSigningKeyArn"], REGION,
                                  "http://127.0.0.1:9", ("sandbox", "sandbox")))  # fmt: skip
