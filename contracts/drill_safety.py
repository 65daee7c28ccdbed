"""Stack tags that decide whether a drill may act on a deployment (the CDK app sets, the aws target reads).

Every stack of a deployment carries ``DrillAllowed``: ``"true"`` on a destroyable deployment,
``"false"`` on one synthesized with ``production=true``, which also carries ``Production=true``. The
drill target refuses a deployment unless every stack says ``DrillAllowed=true`` and none says
``Production=true``.
"""

from __future__ import annotations

DRILL_ALLOWED_TAG = "DrillAllowed"
PRODUCTION_TAG = "Production"
TRUE = "true"
FALSE = "false"

#: Tag on each FIS experiment template naming the fault it injects (the aws target finds them by it).
FIS_FAULT_TAG = "HtdrFault"
#: Tag naming the environment suffix (the app tags every resource with it).
ENVIRONMENT_TAG = "Environment"


class FisFault:
    """The FIS experiment templates the CDK app defines per region, by their ``HtdrFault`` tag value."""

    ECS_STOP_TASK = "ecs-stop-task"
    DATA_SUBNETS_DISRUPT = "data-subnets-disrupt-connectivity"
    CACHE_AZ_POWER = "cache-az-power-interruption"


def stack_name(suffix: str, role: str) -> str:
    """CloudFormation stack name of ``role`` in deployment ``suffix``, e.g. ``Htdr-dev1-PrimaryServices``."""
    return f"Htdr-{suffix}-{role}"


#: Stack roles of a deployment and whether each lives in the primary region (else the DR region).
STACK_ROLES: tuple[tuple[str, bool], ...] = (
    ("PrimaryFoundation", True),
    ("DrFoundation", False),
    ("PrimaryServices", True),
    ("DrServices", False),
    ("DrDrillPipeline", True),
)
