"""CKV_HT_3 — Aurora PostgreSQL refuses connections without TLS (``rds.force_ssl=1``).

The cluster parameter group must set ``rds.force_ssl`` to 1 (§164.312(e)(1), (e)(2)(i), (e)(2)(ii)).
A cluster left on the engine's default parameter group does not force SSL, so clusters are checked too.
The global-database RPO bound lives in its own check (CKV_HT_18): a loose RPO is a DR-plan gap, not a
transmission-security one.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, is_set, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class AuroraForcesSsl(BaseResourceCheck):
    """Fails Aurora PostgreSQL parameter groups without rds.force_ssl=1 and clusters on default groups."""

    def __init__(self) -> None:
        super().__init__(
            name="Aurora PostgreSQL forces SSL (rds.force_ssl=1)",
            id="CKV_HT_3",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["AWS::RDS::DBClusterParameterGroup", "AWS::RDS::DBCluster"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Dispatch on the resource type; non-PostgreSQL Aurora is out of scope."""
        props = properties(conf)
        if conf.get("Type") == "AWS::RDS::DBCluster":
            return self._scan_cluster(props)
        return self._scan_parameter_group(props)

    def _scan_cluster(self, props: dict[str, Any]) -> CheckResult:
        if props.get("Engine") != "aurora-postgresql":
            return CheckResult.UNKNOWN
        group = props.get("DBClusterParameterGroupName")
        if not is_set(group) or (isinstance(group, str) and group.startswith("default.")):
            self.details.append("the cluster uses the default parameter group, which does not force SSL")
            return CheckResult.FAILED
        return CheckResult.PASSED

    def _scan_parameter_group(self, props: dict[str, Any]) -> CheckResult:
        family = props.get("Family")
        if not (isinstance(family, str) and family.startswith("aurora-postgresql")):
            return CheckResult.UNKNOWN
        parameters = props.get("Parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        if as_int(parameters.get("rds.force_ssl")) != 1:
            self.details.append("rds.force_ssl is not 1: set it to 1 in the cluster parameter group")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = AuroraForcesSsl()
