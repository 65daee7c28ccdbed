"""CKV_HT_11 — no resource outlives its stack (no Retain deletion or update-replace policy).

Drill environments are created and destroyed repeatedly (DESIGN §3 "Destroyable"); a retained bucket,
key or log group leaks PHI outside any managed lifecycle and makes the next deployment collide with it.
CDK itself adds Retain by default to some resources (e.g. API Gateway's CloudWatch role), hence the need.

checkov's CloudFormation graph keeps only ``Type``/``Properties``/``Metadata`` of a resource, so the
policies are read from the template file itself (located from the scanned path checkov reports, which
is relative to the working directory when templates are passed with ``-f``/``files=``). A template that
cannot be re-read fails the check rather than passing unseen.
"""

from __future__ import annotations

from typing import Any

from cfn_values import template_resources
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

RETAINING = frozenset({"Retain", "RetainExceptOnCreate"})
POLICY_KEYS = ("DeletionPolicy", "UpdateReplacePolicy")


class NoRetainPolicy(BaseResourceCheck):
    """Fails any resource whose DeletionPolicy or UpdateReplacePolicy retains it."""

    def __init__(self) -> None:
        super().__init__(
            name="No resource has a Retain DeletionPolicy or UpdateReplacePolicy",
            id="CKV_HT_11",
            categories=[CheckCategories.CONVENTION],
            supported_resources=["*"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Both policies must be absent or something other than Retain."""
        resource = self._template_resource(conf)
        if resource is None:
            self.details.append("the template could not be re-read to see DeletionPolicy/UpdateReplacePolicy")
            return CheckResult.FAILED
        retained = [key for key in POLICY_KEYS if resource.get(key) in RETAINING]
        if retained:
            self.details.append(
                " and ".join(retained) + " retains the resource; use Delete (RemovalPolicy.DESTROY)"
            )
            return CheckResult.FAILED
        return CheckResult.PASSED

    def _template_resource(self, conf: dict[str, Any]) -> dict[str, Any] | None:
        """This resource's full definition from its template."""
        resources, logical_id = template_resources(self.entity_path, conf)
        resource = resources.get(logical_id) if resources else None
        return resource if isinstance(resource, dict) else None


check = NoRetainPolicy()
