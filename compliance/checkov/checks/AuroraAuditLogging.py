"""CKV_HT_21 — Aurora PostgreSQL records database activity: pgaudit loaded and logs exported.

Audit controls (§164.312(b)) and activity review (§164.308(a)(1)(ii)(D)) need the database's own record
of who read and changed what: the cluster parameter group loads ``pgaudit`` (``shared_preload_libraries``)
and sets ``pgaudit.log`` to a class list that is not ``none``; the cluster exports its ``postgresql`` log
to CloudWatch Logs (``EnableCloudwatchLogsExports``), where it is encrypted and retained.
"""

from __future__ import annotations

from typing import Any

from cfn_values import properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


def _words(value: Any) -> set[str]:
    return {w.strip().lower() for w in str(value or "").split(",") if w.strip()}


class AuroraAuditLogging(BaseResourceCheck):
    """Fails a PostgreSQL cluster without log exports and a parameter group without pgaudit."""

    def __init__(self) -> None:
        super().__init__(
            name="Aurora PostgreSQL loads pgaudit and exports its log to CloudWatch Logs",
            id="CKV_HT_21",
            categories=[CheckCategories.LOGGING],
            supported_resources=["AWS::RDS::DBClusterParameterGroup", "AWS::RDS::DBCluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Dispatch on the resource type; non-PostgreSQL Aurora is out of scope."""
        props = properties(conf)
        if conf.get("Type") == "AWS::RDS::DBCluster":
            if props.get("Engine") != "aurora-postgresql":
                return CheckResult.UNKNOWN
            exports = props.get("EnableCloudwatchLogsExports")
            if not (isinstance(exports, list) and "postgresql" in exports):
                self.details.append("EnableCloudwatchLogsExports does not include postgresql")
                return CheckResult.FAILED
            return CheckResult.PASSED
        family = props.get("Family")
        if not (isinstance(family, str) and family.startswith("aurora-postgresql")):
            return CheckResult.UNKNOWN
        parameters = props.get("Parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        if "pgaudit" not in _words(parameters.get("shared_preload_libraries")):
            self.details.append("shared_preload_libraries does not load pgaudit")
            return CheckResult.FAILED
        classes = _words(parameters.get("pgaudit.log"))
        if not classes or classes <= {"none"}:
            self.details.append("pgaudit.log is unset or none: no statement class is audited")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = AuroraAuditLogging()
