"""The stacks of a deployment: their names and which region each lives in.

The CDK app names its stacks with ``stack_name``; ``cdk_app.flat_outputs`` and the ``aws`` drill target
find them by the same names, each in its own region.
"""

from __future__ import annotations


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
    ("DrillControlPlane", False),
)
