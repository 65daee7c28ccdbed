"""Data-classification labels: which stores hold PHI, which do not, and which are DR replicas.

``Tags.of(app)`` labels everything ``DataClassification=PHI`` (the safe default: an unlabelled store is
treated as PHI). Stores that never hold PHI (access logs, the audit trail, the drill pipeline's source,
artifacts and evidence) are relabelled ``Internal``, so the auditor's inventory (§164.308(a)(7)(ii)(E))
and the gate's PHI-only controls (cross-region replication with RTC, CKV_HT_7) apply to the right
stores. The DR raw-archive bucket is the replication *destination*, marked ``DrRole=replica`` (the
gate's convention), so it is not itself required to replicate onward.
"""

from __future__ import annotations

from aws_cdk import Tags
from constructs import IConstruct

CLASSIFICATION_TAG = "DataClassification"
PHI = "PHI"
INTERNAL = "Internal"
DR_ROLE_TAG = "DrRole"
REPLICA = "replica"

#: Above the default priority (100) of the app-wide tags, so the relabel wins wherever it is applied.
OVERRIDE_PRIORITY = 200


def mark_internal(scope: IConstruct) -> None:
    """Relabel a store (and its taggable children) that holds no PHI as ``Internal``."""
    Tags.of(scope).add(CLASSIFICATION_TAG, INTERNAL, priority=OVERRIDE_PRIORITY)


def mark_replica(scope: IConstruct) -> None:
    """Mark a store as the DR-side destination of a replication (it stays PHI)."""
    Tags.of(scope).add(DR_ROLE_TAG, REPLICA, priority=OVERRIDE_PRIORITY)
