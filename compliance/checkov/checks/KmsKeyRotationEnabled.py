"""CKV_HT_1 — every KMS key is symmetric and rotates automatically at least yearly.

checkov's CKV_AWS_7 only looks at the flag; this also refuses keys that cannot rotate (asymmetric and
HMAC specs) and rotation periods longer than a year, because PHI keys that never rotate fail
§164.312(a)(2)(iv) in the same way as a disabled flag.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, is_true, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

MAX_ROTATION_DAYS = 365


class KmsKeyRotationEnabled(BaseResourceCheck):
    """Fails a KMS key that is not a rotating symmetric key."""

    def __init__(self) -> None:
        super().__init__(
            name="KMS keys are symmetric and rotate automatically at least every 365 days",
            id="CKV_HT_1",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["AWS::KMS::Key"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Rotation flag on, symmetric spec, period (when given) within a year."""
        props = properties(conf)
        if props.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
            self.details.append("only symmetric keys can rotate; use KeySpec SYMMETRIC_DEFAULT")
            return CheckResult.FAILED
        if not is_true(props.get("EnableKeyRotation")):
            self.details.append("EnableKeyRotation is not true")
            return CheckResult.FAILED
        period = props.get("RotationPeriodInDays")
        if period is not None and (as_int(period) or MAX_ROTATION_DAYS + 1) > MAX_ROTATION_DAYS:
            self.details.append(f"RotationPeriodInDays exceeds {MAX_ROTATION_DAYS}")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = KmsKeyRotationEnabled()
