"""Which target the code location drills, read ONCE from the environment at the Dagster edge.

Locally nothing is set: the sandbox (``local``). On the control plane the task definition sets
``HTDR_DRILL_TARGET=aws``, the deployment's suffix, the allowlist of suffixes that may be drilled,
and writable paths for the outputs file and the evidence (the container's root is read-only).
Schedules and the target resource are both built from this one value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

LOCAL, AWS = "local", "aws"
KINDS = (LOCAL, AWS)
TARGET_TAG, SUFFIX_TAG, SCENARIO_TAG = "htdr/target", "htdr/suffix", "htdr/scenario"
SANDBOX_SUFFIX = "sandbox"


class TargetSettingsError(ValueError):
    """A setting is invalid; the message names the environment variable and the fix."""


@dataclass(frozen=True)
class TargetSettings:
    """The drill target of this code location."""

    kind: str = LOCAL
    environment_suffix: str = SANDBOX_SUFFIX
    allowlist: frozenset[str] = field(default_factory=frozenset)
    outputs_file: str = "cfn-outputs/flat-outputs.json"
    reports_dir: str = "reports"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TargetSettings:
        """``HTDR_DRILL_TARGET``, ``HTDR_ENVIRONMENT_SUFFIX``, ``HTDR_DRILL_ALLOWLIST`` (comma-separated),
        ``HTDR_OUTPUTS_FILE``, ``HTDR_REPORTS_DIR``; every one optional."""
        kind = env.get("HTDR_DRILL_TARGET", "").strip() or LOCAL
        if kind not in KINDS:
            raise TargetSettingsError(
                f"HTDR_DRILL_TARGET: {kind!r} is not a target; use one of {', '.join(KINDS)}"
            )
        suffix = env.get("HTDR_ENVIRONMENT_SUFFIX", "").strip()
        if kind == AWS and not suffix:
            raise TargetSettingsError(
                "HTDR_ENVIRONMENT_SUFFIX: missing; the aws target needs the suffix of the deployment to drill"
            )
        allowlist = frozenset(s.strip() for s in env.get("HTDR_DRILL_ALLOWLIST", "").split(",") if s.strip())
        return cls(
            kind=kind,
            environment_suffix=suffix or SANDBOX_SUFFIX,
            allowlist=allowlist,
            outputs_file=env.get("HTDR_OUTPUTS_FILE", "").strip() or cls.outputs_file,
            reports_dir=env.get("HTDR_REPORTS_DIR", "").strip() or cls.reports_dir,
        )

    def refusal(self) -> str | None:
        """Why a scheduled drill must not run against this target (None: it may)."""
        if self.kind == AWS and self.environment_suffix not in self.allowlist:
            allowed = ", ".join(sorted(self.allowlist)) or "nothing"
            return (
                f"suffix {self.environment_suffix!r} is not on the drill allowlist ({allowed}); "
                "add it to HTDR_DRILL_ALLOWLIST to drill this deployment"
            )
        return None

    def run_tags(self) -> dict[str, str]:
        """Tags that show, on every run and schedule, which deployment a drill targets."""
        return {TARGET_TAG: self.kind, SUFFIX_TAG: self.environment_suffix}
