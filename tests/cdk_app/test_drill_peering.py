"""The drill runs' private path to the primary's data stores, on the session synthesis.

Each AWS constraint the path relies on (cited in cdk_app/constructs/drill_peering.py,
drill_peering_return.py and region_network.py) has an assertion here that fails if the template
breaks it: disjoint VPC ranges, ``PeerRegion`` on a same-account inter-region peering without a peer
role, routes in both directions for exactly the intended subnets, and security groups that admit the
DR app subnets by range (a peer group of another region cannot be referenced) on the store ports only.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from cdk_app.constructs.patient_store import DB_PORT
from cdk_app.constructs.region_network import APP_SUBNETS, DATA_SUBNETS, VPC_CIDRS
from cdk_app.constructs.session_cache import CACHE_PORT
from contracts.outputs import Side
from tests.cdk_app.conftest import Synthesized

FOUNDATION = {Side.PRIMARY: "PrimaryFoundation", Side.DR: "DrFoundation"}
PEERING = "AWS::EC2::VPCPeeringConnection"


def _one(resources: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.items()))


def _source(s: Synthesized, stack: str, value: Any) -> tuple[str, str]:
    """``(stack, logical id)`` a property value refers to: a Ref or attribute in ``stack``, a
    same-region import (``Fn::ImportValue`` of another stack's export) or a cross-region reference
    (the export reader's ``Fn::GetAtt`` of a path another stack's export writer fills)."""
    if "Ref" in value:
        return stack, value["Ref"]
    if "Fn::ImportValue" in value:
        name = value["Fn::ImportValue"]
        for other, template in s.templates.items():
            for output in template.get("Outputs", {}).values():
                if output.get("Export", {}).get("Name") == name:
                    return _source(s, other, output["Value"])
        raise AssertionError(f"no stack exports {name}")
    resource, path = value["Fn::GetAtt"]
    if s.templates[stack]["Resources"][resource]["Type"] != "Custom::CrossRegionExportReader":
        return stack, resource
    for other in s.templates:
        for writer in s.resources("Custom::CrossRegionExportWriter", other).values():
            exported = writer["Properties"]["WriterProps"]["exports"].get(path)
            if exported is not None:
                assert writer["Properties"]["WriterProps"]["region"] == s.regions[stack]
                return other, exported["Ref"]
    raise AssertionError(f"no export writer fills {path}")


def _subnets(s: Synthesized, stack: str, group: str) -> dict[str, str]:
    """Subnets of tier ``group`` in ``stack``'s VPC: logical id -> CIDR."""
    found = {}
    for logical_id, subnet in s.resources("AWS::EC2::Subnet", stack).items():
        tags = {t["Key"]: t["Value"] for t in subnet["Properties"]["Tags"]}
        if tags["aws-cdk:subnet-name"] == group:
            found[logical_id] = subnet["Properties"]["CidrBlock"]
    assert len(found) == 3, (stack, group, found)  # one per AZ
    return found


def _route_tables(s: Synthesized, stack: str, group: str) -> set[str]:
    """Route tables of the subnets of tier ``group`` in ``stack``."""
    subnets = _subnets(s, stack, group)
    return {
        a["Properties"]["RouteTableId"]["Ref"]
        for a in s.resources("AWS::EC2::SubnetRouteTableAssociation", stack).values()
        if a["Properties"]["SubnetId"]["Ref"] in subnets
    }


def _peering_routes(s: Synthesized) -> dict[str, list[dict[str, Any]]]:
    """Every route through a peering connection, by stack."""
    found: dict[str, list[dict[str, Any]]] = {}
    for stack in s.templates:
        for route in s.resources("AWS::EC2::Route", stack).values():
            if "VpcPeeringConnectionId" in route["Properties"]:
                found.setdefault(stack, []).append(route["Properties"])
    return found


def _peering(s: Synthesized) -> tuple[str, dict[str, Any]]:
    """``(logical id, properties)`` of the one peering connection of the app, in the DR foundation."""
    everywhere = s.resources(PEERING)
    assert list(everywhere) == [f"{FOUNDATION[Side.DR]}/{k}" for k in s.resources(PEERING, "DrFoundation")]
    logical_id, resource = _one(s.resources(PEERING, FOUNDATION[Side.DR]))
    return logical_id, resource["Properties"]


def _vpc(s: Synthesized, side: Side) -> tuple[str, dict[str, Any]]:
    logical_id, resource = _one(s.resources("AWS::EC2::VPC", FOUNDATION[side]))
    return logical_id, resource["Properties"]


def test_vpc_ranges_are_private_and_disjoint(synthesized: Synthesized) -> None:
    """A peering connection between overlapping ranges fails (AWS::EC2::VPCPeeringConnection docs)."""
    ranges = {side: ipaddress.ip_network(_vpc(synthesized, side)[1]["CidrBlock"]) for side in Side}
    assert {side: str(net) for side, net in ranges.items()} == dict(VPC_CIDRS)
    assert all(net.is_private for net in ranges.values())
    assert not ranges[Side.PRIMARY].overlaps(ranges[Side.DR])


@pytest.mark.parametrize("side", list(Side))
def test_each_side_admits_its_own_range_to_its_endpoints(synthesized: Synthesized, side: Side) -> None:
    stack = FOUNDATION[side]
    group = synthesized.resources("AWS::EC2::SecurityGroup", stack)["NetworkEndpointsSgAA2330AC"]
    rules = group["Properties"]["SecurityGroupIngress"]
    assert [(r["CidrIp"], r["FromPort"], r["ToPort"]) for r in rules] == [(VPC_CIDRS[side], 443, 443)]


def test_dr_vpc_requests_a_same_account_peering_with_the_primary_vpc_in_its_region(
    synthesized: Synthesized,
) -> None:
    """PeerRegion names the accepter's region (default: the requester's); same account: no peer role."""
    _, props = _peering(synthesized)
    assert props["PeerRegion"] == synthesized.config.primary_region
    assert props["PeerRegion"] != synthesized.regions[FOUNDATION[Side.DR]]
    assert "PeerRoleArn" not in props and "PeerOwnerId" not in props
    dr_stack = FOUNDATION[Side.DR]
    assert _source(synthesized, dr_stack, props["VpcId"]) == (dr_stack, _vpc(synthesized, Side.DR)[0])
    primary_vpc = (FOUNDATION[Side.PRIMARY], _vpc(synthesized, Side.PRIMARY)[0])
    assert _source(synthesized, dr_stack, props["PeerVpcId"]) == primary_vpc


def test_primary_aurora_instances_are_private_so_their_names_resolve_to_private_addresses(
    synthesized: Synthesized,
) -> None:
    """No peering DNS option is set: a non-public instance's DNS name resolves to its private address."""
    instances = synthesized.resources("AWS::RDS::DBInstance", "PrimaryServices").values()
    assert instances and all(i["Properties"]["PubliclyAccessible"] is False for i in instances)


def _assert_routes_exactly(
    s: Synthesized, stack: str, routes: list[dict[str, Any]], source: tuple[Side, str], to: tuple[Side, str]
) -> None:
    """``routes`` (in ``stack``) are one per (route table of a ``source`` tier subnet, range of a ``to``
    tier subnet), no more, no fewer: 3 AZs x 3 AZs."""
    got = [(_source(s, stack, r["RouteTableId"]), r["DestinationCidrBlock"]) for r in routes]
    tables_stack = FOUNDATION[source[0]]
    expected = {
        ((tables_stack, table), cidr)
        for table in _route_tables(s, tables_stack, source[1])
        for cidr in _subnets(s, FOUNDATION[to[0]], to[1]).values()
    }
    assert len(got) == len(expected) == 9 and set(got) == expected


def test_dr_app_subnets_route_to_the_primary_data_subnets_only(synthesized: Synthesized) -> None:
    peering_id, _ = _peering(synthesized)
    routes = _peering_routes(synthesized)
    dr_stack = FOUNDATION[Side.DR]
    assert set(routes) == {dr_stack, "PrimaryServices"}  # nowhere else
    assert all(r["VpcPeeringConnectionId"] == {"Ref": peering_id} for r in routes[dr_stack])
    _assert_routes_exactly(
        synthesized, dr_stack, routes[dr_stack], (Side.DR, APP_SUBNETS), (Side.PRIMARY, DATA_SUBNETS)
    )


def test_primary_data_subnets_route_back_to_the_dr_app_subnets_only(synthesized: Synthesized) -> None:
    peering_id, _ = _peering(synthesized)
    routes = _peering_routes(synthesized)["PrimaryServices"]
    # the connection id crosses regions from the DR foundation (which deploys before this stack)
    assert {_source(synthesized, "PrimaryServices", r["VpcPeeringConnectionId"]) for r in routes} == {
        (FOUNDATION[Side.DR], peering_id)
    }
    _assert_routes_exactly(
        synthesized, "PrimaryServices", routes, (Side.PRIMARY, DATA_SUBNETS), (Side.DR, APP_SUBNETS)
    )


def _cidr_rules(s: Synthesized) -> list[tuple[str, str, dict[str, Any]]]:
    """Every ingress rule of the app with an IPv4 range: ``(stack, group logical id, rule)``, whether
    inline on a group or a separate ingress resource."""
    found = []
    for stack in s.templates:
        for logical_id, group in s.resources("AWS::EC2::SecurityGroup", stack).items():
            for rule in group["Properties"].get("SecurityGroupIngress", []):
                found.append((stack, logical_id, rule))
        for ingress in s.resources("AWS::EC2::SecurityGroupIngress", stack).values():
            props = ingress["Properties"]
            found.append((stack, _source(s, stack, props["GroupId"])[1], props))
    assert all("CidrIpv6" not in rule for _, _, rule in found)
    return [entry for entry in found if "CidrIp" in entry[2]]


def test_primary_stores_admit_the_dr_app_subnets_on_their_ports_and_nothing_else(
    synthesized: Synthesized,
) -> None:
    """A peer group of another region cannot be a source: the DR app subnets' ranges are."""
    dr_app = set(_subnets(synthesized, FOUNDATION[Side.DR], APP_SUBNETS).values())
    dr_range = ipaddress.ip_network(VPC_CIDRS[Side.DR])
    from_dr: dict[tuple[str, str], set[tuple[str, Any, Any, Any]]] = {}
    for stack, group, rule in _cidr_rules(synthesized):
        if ipaddress.ip_network(rule["CidrIp"]).overlaps(dr_range) and synthesized.regions[stack] != (
            synthesized.config.dr_region
        ):
            key = (stack, group)
            from_dr.setdefault(key, set()).add(
                (rule["CidrIp"], rule["IpProtocol"], rule["FromPort"], rule["ToPort"])
            )
    assert from_dr == {
        ("PrimaryServices", "PatientStoreSgA9B3980A"): {(c, "tcp", DB_PORT, DB_PORT) for c in dr_app},
        ("PrimaryServices", "SessionCacheSgEEE0D81D"): {(c, "tcp", CACHE_PORT, CACHE_PORT) for c in dr_app},
    }


def test_every_range_rule_is_an_own_vpc_endpoint_rule_or_a_drill_run_rule(synthesized: Synthesized) -> None:
    """No other group of the app admits an address range: every other source is a security group."""
    allowed = {(FOUNDATION[side], "NetworkEndpointsSgAA2330AC", VPC_CIDRS[side], 443) for side in Side} | {
        ("PrimaryServices", group, cidr, port)
        for group, port in (("PatientStoreSgA9B3980A", DB_PORT), ("SessionCacheSgEEE0D81D", CACHE_PORT))
        for cidr in _subnets(synthesized, FOUNDATION[Side.DR], APP_SUBNETS).values()
    }
    rules = _cidr_rules(synthesized)
    assert all(rule["FromPort"] == rule["ToPort"] for _, _, rule in rules)
    got = [(stack, group, rule["CidrIp"], rule["FromPort"]) for stack, group, rule in rules]
    assert len(got) == len(allowed) and set(got) == allowed


def test_deploy_order_lets_each_side_read_what_it_needs(synthesized: Synthesized) -> None:
    """cdk deploy --all: primary network, then the DR peering, then the primary's return routes."""
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    artifacts = {role: manifest["artifacts"][artifact] for role, artifact in synthesized.artifacts.items()}
    by_artifact = {artifact: role for role, artifact in synthesized.artifacts.items()}

    def depends_on(role: str) -> set[str]:
        return {by_artifact[d] for d in artifacts[role].get("dependencies", []) if d in by_artifact}

    assert FOUNDATION[Side.PRIMARY] in depends_on(FOUNDATION[Side.DR])
    assert FOUNDATION[Side.DR] in depends_on("PrimaryServices")


def test_the_region_outage_disruption_cuts_the_observation_path(synthesized: Synthesized) -> None:
    """The subnets the peering reaches in the primary are the ones the outage experiment denies all
    traffic to (``scope: all``), so during a simulated outage the run's observation fails as it must."""
    disrupt = [
        t["Properties"]
        for t in synthesized.resources("AWS::FIS::ExperimentTemplate", "PrimaryServices").values()
        if any(
            a["ActionId"] == "aws:network:disrupt-connectivity" for a in t["Properties"]["Actions"].values()
        )
    ]
    assert len(disrupt) == 1
    action = next(iter(disrupt[0]["Actions"].values()))
    assert action["Parameters"]["scope"] == "all"
    arns = next(iter(disrupt[0]["Targets"].values()))["ResourceArns"]
    disrupted = {_source(synthesized, "PrimaryServices", arn["Fn::Join"][1][-1]) for arn in arns}
    primary_data = _subnets(synthesized, FOUNDATION[Side.PRIMARY], DATA_SUBNETS)
    assert disrupted == {(FOUNDATION[Side.PRIMARY], subnet) for subnet in primary_data}
    reached = {r["DestinationCidrBlock"] for r in _peering_routes(synthesized)[FOUNDATION[Side.DR]]}
    assert reached == set(primary_data.values())
