"""CKV_HT_18 — Aurora PostgreSQL bounds the global-database lag with ``rds.global_db_rpo``.

``rds.global_db_rpo`` (seconds, 20 .. 2^31-1) makes the primary block commits when every secondary lags
more than it (REFERENCE.md "Aurora PostgreSQL global database"), so the DR copy can never fall further
behind than the RPO objective (900 s) allows: §164.308(a)(7)(ii)(B).
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

#: AWS's lower bound for rds.global_db_rpo, and the RPO objective it must stay under (seconds).
MIN_GLOBAL_DB_RPO = 20
RPO_OBJECTIVE_SECONDS = 900


class AuroraGlobalDbRpoBounded(BaseResourceCheck):
    """Fails Aurora PostgreSQL cluster parameter groups without rds.global_db_rpo under the objective."""

    def __init__(self) -> None:
        super().__init__(
            name="Aurora PostgreSQL sets rds.global_db_rpo below the RPO objective",
            id="CKV_HT_18",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["AWS::RDS::DBClusterParameterGroup"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """rds.global_db_rpo between AWS's minimum and the RPO objective."""
        props = properties(conf)
        family = props.get("Family")
        if not (isinstance(family, str) and family.startswith("aurora-postgresql")):
            return CheckResult.UNKNOWN
        parameters = props.get("Parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        rpo = as_int(parameters.get("rds.global_db_rpo"))
        if rpo is None or not MIN_GLOBAL_DB_RPO <= rpo < RPO_OBJECTIVE_SECONDS:
            self.details.append(
                f"rds.global_db_rpo must be set between {MIN_GLOBAL_DB_RPO} and {RPO_OBJECTIVE_SECONDS - 1} s"
            )
            return CheckResult.FAILED
        return CheckResult.PASSED


check = AuroraGlobalDbRpoBounded()
