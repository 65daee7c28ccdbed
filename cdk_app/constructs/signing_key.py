"""The asymmetric KMS key that signs every auditor report's manifest digest.

ECC_NIST_P256 with ECDSA_SHA_256: ``kms:Sign`` with ``MessageType=DIGEST`` signs the SHA-256 of
``manifest.json`` without the manifest ever leaving the signer, and anyone holding the public key
(``kms:GetPublicKey``, also written beside every report) verifies it offline (REFERENCE.md "Signing
evidence"; https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html). KMS does not
rotate asymmetric keys, so rotation is off by necessity: a new key is a new alias target, and old
reports stay verifiable with the public key stored beside them under Object Lock.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.naming import Naming

KEY_SPEC = kms.KeySpec.ECC_NIST_P256
SIGNING_ALGORITHM = "ECDSA_SHA_256"


class ReportSigningKey(Construct):
    """SIGN_VERIFY key with an alias built from the suffix (so other regions' roles can name it)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, naming: Naming) -> None:
        super().__init__(scope, construct_id)
        self.alias_name = naming.alias("report-signing")
        self.key = kms.Key(
            self,
            "Key",
            alias=self.alias_name,
            description=f"Signs auditor report manifests ({naming.suffix})",
            key_spec=KEY_SPEC,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            enable_key_rotation=False,  # KMS cannot rotate asymmetric keys
            pending_window=Duration.days(30),
            removal_policy=config.removal_policy,
        )
        cfn = self.key.node.default_child
        assert isinstance(cfn, kms.CfnKey)
        cfn.add_metadata(
            "checkov",
            {"skip": [{"id": "CKV_HT_1", "comment": "asymmetric SIGN_VERIFY key: KMS cannot rotate it"}]},
        )

    def grant_sign(self, grantee: iam.IGrantable) -> None:
        """``kms:Sign`` (digest signing) and ``kms:GetPublicKey`` (to store the public key beside it)."""
        self.key.grant(grantee, "kms:Sign", "kms:GetPublicKey", "kms:DescribeKey")
