"""CKV_HT_3 — Aurora PostgreSQL forces SSL and bounds the global-database lag with ``rds.global_db_rpo``.

A cluster parameter group must set ``rds.force_ssl=1`` (§164.312(e)) and ``rds.global_db_rpo`` below the
RPO objective (900 s), so the primary refuses commits the DR side could not cover (REFERENCE.md). A
cluster left on the engine's default parameter group has neither, so clusters are checked too.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, is_set, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

#: AWS's lower bound for rds.global_db_rpo, and the RPO objective it must stay under (seconds).
MIN_GLOBAL_DB_RPO = 20
RPO_OBJECTIVE_SECONDS = 900


class AuroraParameterGroupSslAndRpo(BaseResourceCheck):
    """Fails Aurora PostgreSQL parameter groups without SSL/RPO settings and clusters on default groups."""

    def __init__(self) -> None:
        super().__init__(
            name="Aurora PostgreSQL forces SSL and sets rds.global_db_rpo below the RPO objective",
            id="CKV_HT_3",
            categories=[CheckCategories.ENCRYPTION, CheckCategories.BACKUP_AND_RECOVERY],
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
            self.details.append(
                "the cluster uses the default parameter group (no force_ssl, no global_db_rpo)"
            )
            return CheckResult.FAILED
        return CheckResult.PASSED

    def _scan_parameter_group(self, props: dict[str, Any]) -> CheckResult:
        family = props.get("Family")
        if not (isinstance(family, str) and family.startswith("aurora-postgresql")):
            return CheckResult.UNKNOWN
        parameters = props.get("Parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        if as_int(parameters.get("rds.force_ssl")) != 1:
            self.details.append("rds.force_ssl is not 1")
            return CheckResult.FAILED
        rpo = as_int(parameters.get("rds.global_db_rpo"))
        if rpo is None or not MIN_GLOBAL_DB_RPO <= rpo < RPO_OBJECTIVE_SECONDS:
            self.details.append(
                f"rds.global_db_rpo must be set between {MIN_GLOBAL_DB_RPO} and {RPO_OBJECTIVE_SECONDS - 1} s"
            )
            return CheckResult.FAILED
        return CheckResult.PASSED


check = AuroraParameterGroupSslAndRpo()
