"""CKV_HT_14 — no security group admits any address (0.0.0.0/0, ::/0) to a data port.

A database, cache or file system reachable from the whole internet (or the whole IPv6 space) exposes
ePHI stores to anyone who can route to them (§164.312(a)(1), §164.312(e)(1)). Both ways a template
opens a port are read: inline ``SecurityGroupIngress`` rules of ``AWS::EC2::SecurityGroup`` and separate
``AWS::EC2::SecurityGroupIngress`` resources. A rule on all protocols (``-1``) opens every port.
"""

from __future__ import annotations

from typing import Any

from cfn_values import as_int, properties
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

#: Ports of the data stores this system (and common engines) listen on.
DATA_PORTS: dict[int, str] = {
    5432: "PostgreSQL/Aurora",
    6379: "Redis/Valkey",
    2049: "NFS/EFS",
    3306: "MySQL",
    1433: "SQL Server",
    1521: "Oracle",
    27017: "MongoDB/DocumentDB",
    11211: "Memcached",
    9200: "OpenSearch",
    5439: "Redshift",
}
ANY_ADDRESS = {"0.0.0.0/0", "::/0"}


def _open_ports(rule: dict[str, Any]) -> list[int]:
    """The data ports one ingress rule opens to any address (empty when it opens none)."""
    source = rule.get("CidrIp") if "CidrIp" in rule else rule.get("CidrIpv6")
    if not isinstance(source, str) or source.strip() not in ANY_ADDRESS:
        return []
    protocol = str(rule.get("IpProtocol", "")).lower()
    if protocol in ("-1", "all"):
        return sorted(DATA_PORTS)
    if protocol not in ("tcp", "6", "udp", "17"):
        return []
    low, high = as_int(rule.get("FromPort")), as_int(rule.get("ToPort"))
    if low is None or high is None:
        return sorted(DATA_PORTS)  # a port range the template computes: assume the worst
    if low == -1 and high == -1:
        return sorted(DATA_PORTS)
    return [port for port in sorted(DATA_PORTS) if low <= port <= high]


class SecurityGroupNoPublicDataPortIngress(BaseResourceCheck):
    """Fails a security group (or ingress resource) opening a data port to any address."""

    def __init__(self) -> None:
        super().__init__(
            name="No ingress from 0.0.0.0/0 or ::/0 to a data port",
            id="CKV_HT_14",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every rule (inline, or the resource itself) must keep data ports closed to any address."""
        props = properties(conf)
        if conf.get("Type") == "AWS::EC2::SecurityGroupIngress":
            rules: list[Any] = [props]
        else:
            inline = props.get("SecurityGroupIngress")
            rules = inline if isinstance(inline, list) else []
        for rule in rules:
            ports = _open_ports(rule) if isinstance(rule, dict) else []
            if ports:
                names = ", ".join(f"{port} ({DATA_PORTS[port]})" for port in ports)
                self.details.append(f"ingress from any address reaches data port(s) {names}")
                return CheckResult.FAILED
        return CheckResult.PASSED


check = SecurityGroupNoPublicDataPortIngress()
