"""CKV_HT_13 — taggable resources carry Project, Environment, DataClassification, Compliance and Owner.

The tags are the data-criticality label an auditor reads (§164.308(a)(7)(ii)(E)) and what cost, access
and incident tooling keys on. A resource that lost its tags (or never got them) fails, naming the tags.
"""

from __future__ import annotations

from typing import Any

from cfn_values import REQUIRED_TAGS, TAG_PROPERTY, is_set, tags
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class RequiredTagsPresent(BaseResourceCheck):
    """Fails a taggable resource missing any required tag (or with an empty value)."""

    def __init__(self) -> None:
        super().__init__(
            name="Resources carry the tags Project, Environment, DataClassification, Compliance and Owner",
            id="CKV_HT_13",
            categories=[CheckCategories.CONVENTION],
            supported_resources=list(TAG_PROPERTY),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every required tag present with a non-empty value."""
        present = tags(conf, str(conf.get("Type"))) or {}
        missing = [key for key in REQUIRED_TAGS if not is_set(present.get(key))]
        if missing:
            self.details.append("missing tags: " + ", ".join(missing))
            return CheckResult.FAILED
        return CheckResult.PASSED


check = RequiredTagsPresent()
