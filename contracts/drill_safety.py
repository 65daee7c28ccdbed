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
    """The FIS experiment templates the CDK app defines (primary region), by their ``HtdrFault`` tag."""

    ECS_STOP_TASK = "ecs-stop-task"
    DATA_SUBNETS_DISRUPT = "data-subnets-disrupt-connectivity"
    CACHE_AZ_POWER = "cache-az-power-interruption"
