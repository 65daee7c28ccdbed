"""CKV_HT_2 — Kinesis streams encrypt with a customer KMS key, not the AWS-managed one.

cdk-nag's HIPAA pack has no Kinesis rule and checkov's CKV_AWS_43 accepts ``alias/aws/kinesis``; a
customer key is what lets us rotate, audit and revoke access to PHI in flight through the stream.
"""

from __future__ import annotations

from typing import Any

from cfn_values import is_set, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

AWS_MANAGED_KEY = "alias/aws/kinesis"


class KinesisStreamCustomerKey(BaseResourceCheck):
    """Fails a stream without KMS encryption or encrypted with the AWS-managed key."""

    def __init__(self) -> None:
        super().__init__(
            name="Kinesis streams are encrypted with a customer-managed KMS key",
            id="CKV_HT_2",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["AWS::Kinesis::Stream"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """StreamEncryption must be KMS with a key that is not ``alias/aws/kinesis``."""
        encryption = properties(conf).get("StreamEncryption")
        if not isinstance(encryption, dict) or encryption.get("EncryptionType") != "KMS":
            self.details.append("StreamEncryption is not KMS")
            return CheckResult.FAILED
        key = encryption.get("KeyId")
        if not is_set(key) or key == AWS_MANAGED_KEY:
            self.details.append("the stream uses the AWS-managed key; reference a customer key")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = KinesisStreamCustomerKey()
