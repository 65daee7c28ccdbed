"""CKV_HT_26 — the audit trail records object-level (data) events of every PHI bucket beside it.

Management events show who changed a bucket, not who read or wrote the ePHI inside it; audit controls
(§164.312(b)) and activity review (§164.308(a)(1)(ii)(D)) need S3 data events on the PHI buckets. A
trail passes when its ``EventSelectors`` (or ``AdvancedEventSelectors``) log ``AWS::S3::Object`` events
and every PHI bucket of the same template (``DataClassification`` PHI or unlabelled) is among the
selected buckets. Buckets in other templates (the DR replica) are named by literal ARN, which this
check accepts but cannot match to a resource.
"""

from __future__ import annotations

from typing import Any

from cfn_values import holds_phi, properties, template_resources
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

S3_OBJECT = "AWS::S3::Object"


def _referenced(value: Any) -> set[str]:
    """Logical ids a value refers to with Ref / Fn::GetAtt."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute:
            found.add(str(attribute[0]))
        for item in value.values():
            found |= _referenced(item)
    elif isinstance(value, list):
        for item in value:
            found |= _referenced(item)
    return found


def _selected_buckets(props: dict[str, Any]) -> tuple[bool, set[str]]:
    """(whether S3 data events are logged at all, the bucket logical ids the selectors name)."""
    logged, buckets = False, set()
    for selector in props.get("EventSelectors") or []:
        for resource in (selector.get("DataResources") or []) if isinstance(selector, dict) else []:
            if isinstance(resource, dict) and resource.get("Type") == S3_OBJECT and resource.get("Values"):
                logged = True
                buckets |= _referenced(resource.get("Values"))
    for selector in props.get("AdvancedEventSelectors") or []:
        fields = selector.get("FieldSelectors") if isinstance(selector, dict) else None
        for field in fields or []:
            if field.get("Field") == "resources.type" and S3_OBJECT in (field.get("Equals") or []):
                logged = True
                buckets |= _referenced(fields)
    return logged, buckets


class CloudTrailPhiDataEvents(BaseResourceCheck):
    """Fails a trail that logs no S3 data events or leaves a PHI bucket of its template out."""

    def __init__(self) -> None:
        super().__init__(
            name="CloudTrail records S3 data events of every PHI bucket",
            id="CKV_HT_26",
            categories=[CheckCategories.LOGGING],
            supported_resources=["AWS::CloudTrail::Trail"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """S3 object events selected, covering each PHI bucket defined in the same template."""
        logged, selected = _selected_buckets(properties(conf))
        if not logged:
            self.details.append("no S3 data-event selector (AWS::S3::Object): reads of ePHI are not recorded")
            return CheckResult.FAILED
        resources, _logical_id = template_resources(self.entity_path, conf)
        missing = sorted(
            logical_id
            for logical_id, resource in (resources or {}).items()
            if isinstance(resource, dict)
            and resource.get("Type") == "AWS::S3::Bucket"
            and holds_phi(resource, "AWS::S3::Bucket")
            and logical_id not in selected
        )
        if missing:
            self.details.append("PHI bucket(s) without data events: " + ", ".join(missing))
            return CheckResult.FAILED
        return CheckResult.PASSED


check = CloudTrailPhiDataEvents()
