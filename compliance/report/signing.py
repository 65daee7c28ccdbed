"""The report manifest's signature: KMS signs the manifest's SHA-256, anyone verifies it offline.

``manifest.json`` lists the SHA-256 of every other file of the report. Whoever can rewrite files can
rewrite the manifest too, so its own digest is signed with an asymmetric KMS key (``kms:Sign`` with
``MessageType=DIGEST``, ECDSA_SHA_256 on an ECC_NIST_P256 key; REFERENCE.md "Signing evidence",
https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html). ``manifest.sig.json`` beside it
records the algorithm, the key id, the signed digest, the signature and the key's public key (DER from
``kms:GetPublicKey``, stored as PEM). Verification needs no AWS access: it recomputes the manifest's
digest and checks the signature with the public key (``cryptography``), so a changed file fails the
manifest, and a changed file with a recomputed manifest fails the signature.

The public key inside the folder proves integrity against that key only: an auditor pins the key
(``--public-key``, obtained once with ``aws kms get-public-key``) to rule out a re-signed forgery.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from compliance.report.evidence_error import ReportError
from compliance.report.manifest import MANIFEST, SIGNATURE, sha256_file

ALGORITHM = "ECDSA_SHA_256"


@dataclass(frozen=True)
class SigningKey:
    """Which KMS key signs, where its API is (``endpoint_url`` only for the sandbox's moto server), and
    the credentials to use there (None: boto3's standard chain, as on AWS)."""

    key_id: str
    region: str
    endpoint_url: str | None = None
    static_credentials: tuple[str, str] | None = None

    def kms_client(self) -> Any:
        import boto3

        access, secret = self.static_credentials or (None, None)
        return boto3.client(
            "kms",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access,
            aws_secret_access_key=secret,
        )


@dataclass(frozen=True)
class SignatureRecord:
    """What ``manifest.sig.json`` holds."""

    algorithm: str
    key_id: str
    manifest_sha256: str
    signature: bytes
    public_key_pem: str

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "algorithm": self.algorithm,
                    "key_id": self.key_id,
                    "manifest_sha256": self.manifest_sha256,
                    "signature": base64.b64encode(self.signature).decode("ascii"),
                    "public_key_pem": self.public_key_pem,
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )


class ManifestSigner:
    """A KMS key ready to sign: its public key is fetched on creation, so an unreachable KMS or an
    unusable key fails BEFORE a report is assembled, not after."""

    def __init__(self, key: SigningKey, client: Any | None = None) -> None:
        self.key = key
        self._kms = client or key.kms_client()
        public = self._call(lambda: self._kms.get_public_key(KeyId=key.key_id))
        self.public_key_pem = (
            serialization.load_der_public_key(public["PublicKey"])
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def _call(self, request: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return request()
        except (BotoCoreError, ClientError) as error:
            raise ReportError(
                f"signing key {self.key.key_id}: KMS refused or is unreachable ({type(error).__name__}); "
                "check the key and credentials, or build with --signing-key none"
            ) from None

    def sign(self, report_dir: Path) -> SignatureRecord:
        """Sign the digest of ``report_dir/manifest.json`` and write ``manifest.sig.json``."""
        digest_hex = sha256_file(report_dir / MANIFEST)
        signed = self._call(
            lambda: self._kms.sign(
                KeyId=self.key.key_id,
                Message=bytes.fromhex(digest_hex),
                MessageType="DIGEST",
                SigningAlgorithm=ALGORITHM,
            )
        )
        record = SignatureRecord(
            algorithm=ALGORITHM,
            key_id=signed["KeyId"],
            manifest_sha256=digest_hex,
            signature=signed["Signature"],
            public_key_pem=self.public_key_pem,
        )
        (report_dir / SIGNATURE).write_text(record.to_json(), encoding="utf-8")
        return record


def read_signature(report_dir: Path) -> SignatureRecord:
    """The recorded signature; a missing or malformed file is one line naming the fix."""
    path = report_dir / SIGNATURE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return SignatureRecord(
            algorithm=str(raw["algorithm"]),
            key_id=str(raw["key_id"]),
            manifest_sha256=str(raw["manifest_sha256"]),
            signature=base64.b64decode(raw["signature"], validate=True),
            public_key_pem=str(raw["public_key_pem"]),
        )
    except FileNotFoundError:
        raise ReportError(
            f"{path}: missing; the report was built without a signing key (htdr report build --signing-key)"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise ReportError(f"{path}: not a signature record (unreadable or incomplete)") from None


def public_key_fingerprint(pem: str) -> str:
    """SHA-256 of the DER public key: a short value an auditor compares with the pinned key."""
    der = serialization.load_pem_public_key(pem.encode("ascii")).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def signature_problem(report_dir: Path, trusted_public_key_pem: str | None = None) -> str | None:
    """None when the signature over the CURRENT manifest verifies, else one sentence saying why not."""
    record = read_signature(report_dir)
    if record.algorithm != ALGORITHM:
        return f"{SIGNATURE} names algorithm {record.algorithm!r}; only {ALGORITHM} is accepted"
    try:
        key = serialization.load_pem_public_key(record.public_key_pem.encode("ascii"))
    except ValueError:
        return f"{SIGNATURE} holds no readable public key"
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        return f"{SIGNATURE} holds a public key that is not ECC_NIST_P256"
    if trusted_public_key_pem is not None and public_key_fingerprint(
        trusted_public_key_pem
    ) != public_key_fingerprint(record.public_key_pem):
        return f"{SIGNATURE} was made with another key than the trusted public key"
    digest = bytes.fromhex(sha256_file(report_dir / MANIFEST))
    try:
        key.verify(record.signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return f"the signature does not verify over the current {MANIFEST} (changed after signing)"
    return None
