"""CKV_HT_8 — every bucket policy denies requests that do not use TLS.

checkov's open-source CloudFormation checks do not look at ``aws:SecureTransport``; cdk-nag's
S3BucketSSLRequestsOnly does, but only inside synth. Checking the policy here keeps the gate's verdict on
transmission security (§164.312(e)(1)) independent of how the template was produced.
"""

from __future__ import annotations

from typing import Any

from cfn_values import denies_insecure_transport, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class S3BucketPolicyDeniesInsecureTransport(BaseResourceCheck):
    """Fails a bucket policy without a Deny-all-principals statement on ``aws:SecureTransport=false``."""

    def __init__(self) -> None:
        super().__init__(
            name="S3 bucket policies deny every request made without TLS",
            id="CKV_HT_8",
            categories=[CheckCategories.ENCRYPTION, CheckCategories.NETWORKING],
            supported_resources=["AWS::S3::BucketPolicy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """The policy document must deny ``s3:*`` to ``*`` when ``aws:SecureTransport`` is false."""
        if denies_insecure_transport(properties(conf).get("PolicyDocument")):
            return CheckResult.PASSED
        self.details.append("no statement denies s3:* to every principal when aws:SecureTransport is false")
        return CheckResult.FAILED


check = S3BucketPolicyDeniesInsecureTransport()
