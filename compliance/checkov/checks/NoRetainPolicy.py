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

import os
from functools import lru_cache
from typing import Any

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.cloudformation.parser import parse
from checkov.common.models.enums import CheckCategories, CheckResult

RETAINING = frozenset({"Retain", "RetainExceptOnCreate"})
POLICY_KEYS = ("DeletionPolicy", "UpdateReplacePolicy")


@lru_cache(maxsize=64)
def _resources_of(template_path: str) -> dict[str, Any] | None:
    """The ``Resources`` section of a template file, parsed once per scan; None if unreadable."""
    if not os.path.isfile(template_path):
        return None
    template, _raw = parse(template_path)
    resources = template.get("Resources") if isinstance(template, dict) else None
    return resources if isinstance(resources, dict) else None


def _template_path(scanned_file: str) -> str:
    """checkov reports ``/<path relative to the scan root>``; with file scans the root is the cwd."""
    if os.path.isfile(scanned_file):
        return scanned_file
    return os.path.normpath(os.path.join(os.getcwd(), scanned_file.lstrip("/")))


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
        """This resource's full definition from its template (``entity_path`` = ``file:Type:LogicalId``)."""
        logical_id = self.entity_path.rsplit(":", 1)[-1]
        scanned_file = self.entity_path.removesuffix(f":{conf.get('Type')}:{logical_id}")
        resources = _resources_of(_template_path(scanned_file))
        resource = resources.get(logical_id) if resources else None
        return resource if isinstance(resource, dict) else None


check = NoRetainPolicy()
