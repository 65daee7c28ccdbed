"""CKV_HT_22 — the templates import secrets and never create one (DESIGN §3 "Secrets Manager").

A secret created by the stack is generated at deploy time, lives and dies with the stack (a DR rebuild
or teardown destroys the credentials), and its rotation and access are owned by no one outside it.
The database and cache credentials exist beforehand and are referenced by name or ARN; any
``AWS::SecretsManager::Secret`` in a template fails (§164.312(a)(1), §164.312(d)).
"""

from __future__ import annotations

from typing import Any

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class NoSecretCreated(BaseResourceCheck):
    """Fails every Secrets Manager secret a template would create."""

    def __init__(self) -> None:
        super().__init__(
            name="Secrets are imported, never created by the stack",
            id="CKV_HT_22",
            categories=[CheckCategories.SECRETS],
            supported_resources=["AWS::SecretsManager::Secret"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Any secret resource is a secret the stack creates."""
        self.details.append("import the existing secret by name or ARN instead of creating it")
        return CheckResult.FAILED


check = NoSecretCreated()
