"""Physical names: every one carries the environment suffix, so two environments never collide and the
compliance gate can prove each named resource belongs to exactly one environment."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws

from contracts.stacks import stack_name

PROJECT = "htdr"


@dataclass(frozen=True)
class Naming:
    """Deterministic names built from the suffix (no look-ups, so other stacks can rebuild them)."""

    suffix: str

    def name(self, component: str) -> str:
        """``htdr-<component>-<suffix>``: the pattern for every regional physical name."""
        return f"{PROJECT}-{component}-{self.suffix}"

    def bucket(self, component: str, region: str) -> str:
        """S3 names are global: add account and region (tokens resolved at deploy) to stay unique."""
        return f"{PROJECT}-{component}-{self.suffix}-{Aws.ACCOUNT_ID}-{region}"

    def stack(self, role: str) -> str:
        """CloudFormation stack name, e.g. ``Htdr-dev1-PrimaryData``."""
        return stack_name(self.suffix, role)

    def alias(self, key_class: str) -> str:
        """KMS alias of a key class; multi-Region replicas share it so ARNs can be rebuilt per region."""
        return f"alias/{self.name(key_class)}"

    def global_cluster_id(self) -> str:
        """Aurora global cluster identifier (needed by the DR stack and the failover runbook)."""
        return self.name("patients-global")

    def db_cluster_id(self, side: str) -> str:
        """Aurora regional cluster identifier for ``side`` ("primary" or "dr")."""
        return self.name(f"patients-{side}")

    def cache_group_id(self, side: str) -> str:
        """ElastiCache replication group id (<= 40 chars: suffix is at most 12)."""
        return self.name(f"sessions-{side}")
