"""Names of the drill control plane that the CDK app creates and the pipeline's drill stage calls.

The stack builds them (``cdk_app/constructs/dagster_service.py``); ``htdr.control_plane_drill`` starts
a drill run task by them from another region, where no CloudFormation reference reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The container of the run task definition that EcsRunLauncher (dagster.aws.yaml) overrides.
RUN_CONTAINER = "run"


@dataclass(frozen=True)
class ControlPlaneNames:
    """Physical names for one environment suffix (``htdr-<component>-<suffix>``)."""

    suffix: str

    def _name(self, component: str) -> str:
        return f"htdr-{component}-{self.suffix}"

    @property
    def cluster(self) -> str:
        return self._name("drill-control")

    @property
    def daemon_service(self) -> str:
        return self._name("dagster-daemon")

    @property
    def webserver_service(self) -> str:
        return self._name("dagster-webserver")

    @property
    def run_task_family(self) -> str:
        return self._name("drill-run")

    def run_role(self, kind: str) -> str:
        """``task`` or ``execution``: the run task's named roles."""
        return self._name(f"drill-run-{kind}")
