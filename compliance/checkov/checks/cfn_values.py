"""Reading CloudFormation values the way the custom checks need them (not a check itself).

Templates carry booleans as ``true``/``"true"``, numbers as ``15``/``"15"`` and names as plain strings or
intrinsic functions (``Fn::Join`` of literals and ``Ref``s). Every check reads values through these
helpers so they all agree on what "set", "true" and "contains the suffix" mean.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

# checkov loads this folder as external checks, outside the project's environment; the retention
# figures the checks verify live once in ``contracts`` (which imports nothing), so put the project
# root on the path to read them from there.
_PROJECT_ROOT = str(Path(__file__).resolve().parents[3])
if _PROJECT_ROOT not in sys.path:
    sys.path.append(_PROJECT_ROOT)

#: Tags every taggable resource must carry (DESIGN §3: ``Tags.of(app)``).
REQUIRED_TAGS: tuple[str, ...] = ("Project", "Environment", "DataClassification", "Compliance", "Owner")

#: The data-classification tag and its PHI value (cdk_app.data_classification): unlabelled means PHI.
CLASSIFICATION_TAG = "DataClassification"
PHI = "PHI"

#: The tag whose value is the deployment's environment suffix.
ENVIRONMENT_TAG = "Environment"

#: Property holding the tags, per resource type the checks look at (EFS names it differently).
TAG_PROPERTY: dict[str, str] = {
    "AWS::ApiGateway::RestApi": "Tags",
    "AWS::ApiGateway::Stage": "Tags",
    "AWS::CloudTrail::Trail": "Tags",
    "AWS::CodeBuild::Project": "Tags",
    "AWS::CodePipeline::Pipeline": "Tags",
    "AWS::EC2::VPC": "Tags",
    "AWS::ECS::Cluster": "Tags",
    "AWS::ECS::Service": "Tags",
    "AWS::ECS::TaskDefinition": "Tags",
    "AWS::EFS::FileSystem": "FileSystemTags",
    "AWS::ElastiCache::ReplicationGroup": "Tags",
    "AWS::IAM::Role": "Tags",
    "AWS::KMS::Key": "Tags",
    "AWS::Kinesis::Stream": "Tags",
    "AWS::Lambda::Function": "Tags",
    "AWS::Logs::LogGroup": "Tags",
    "AWS::RDS::DBCluster": "Tags",
    "AWS::RDS::DBClusterParameterGroup": "Tags",
    "AWS::RDS::DBInstance": "Tags",
    "AWS::S3::Bucket": "Tags",
    "AWS::SNS::Topic": "Tags",
    "AWS::SQS::Queue": "Tags",
    "AWS::WAFv2::WebACL": "Tags",
}


def properties(conf: dict[str, Any]) -> dict[str, Any]:
    """The resource's ``Properties`` (empty when absent or not a mapping)."""
    props = conf.get("Properties")
    return props if isinstance(props, dict) else {}


def is_true(value: Any) -> bool:
    """CloudFormation truth: the boolean ``true`` or the string ``"true"`` (any case)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def as_int(value: Any) -> int | None:
    """An integer literal (``15`` or ``"15"``); None for intrinsics or text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def is_set(value: Any) -> bool:
    """Present and not empty: a literal, a ``Ref``/``Fn::GetAtt`` or a dynamic reference all count."""
    return value not in (None, "", [], {})


def literal_strings(value: Any) -> Iterator[str]:
    """Every string literal inside a value, intrinsic functions included (``Fn::Join`` parts, ...)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("Ref", "Fn::GetAtt", "Fn::ImportValue"):
                yield from literal_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from literal_strings(item)


def references_resource(value: Any) -> bool:
    """True when a value embeds a ``Ref``/``Fn::GetAtt`` of a logical resource (not a pseudo parameter)."""
    if isinstance(value, dict):
        ref = value.get("Ref")
        if isinstance(ref, str) and not ref.startswith("AWS::"):
            return True
        if "Fn::GetAtt" in value:
            return True
        return any(references_resource(item) for item in value.values())
    if isinstance(value, list):
        return any(references_resource(item) for item in value)
    return False


def tags(conf: dict[str, Any], resource_type: str) -> dict[str, Any] | None:
    """The resource's tags as a mapping; None when the resource has no tag property at all."""
    raw = properties(conf).get(TAG_PROPERTY.get(resource_type, "Tags"))
    if raw is None:
        return None
    if isinstance(raw, dict):
        return dict(raw)
    return {str(t["Key"]): t.get("Value") for t in raw if isinstance(t, dict) and "Key" in t}


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of an IAM-style policy document (a single statement may be a mapping)."""
    if not isinstance(document, dict):
        return []
    found = document.get("Statement", [])
    if isinstance(found, dict):
        found = [found]
    return [s for s in found if isinstance(s, dict)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def denies_insecure_transport(document: Any) -> bool:
    """True when a statement denies every principal all actions unless the request came over TLS."""
    for statement in statements(document):
        if statement.get("Effect") != "Deny":
            continue
        condition = statement.get("Condition", {})
        bool_condition = condition.get("Bool", {}) if isinstance(condition, dict) else {}
        secure = bool_condition.get("aws:SecureTransport") if isinstance(bool_condition, dict) else None
        if secure is None or is_true(secure) or str(secure).strip().lower() != "false":
            continue
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))
        actions = {str(a) for a in _as_list(statement.get("Action", []))}
        service_wide = bool(actions & {"*", "s3:*", "elasticfilesystem:*"})
        if everyone and service_wide:
            return True
    return False


def holds_phi(conf: dict[str, Any], resource_type: str) -> bool:
    """A store is PHI unless it is labelled otherwise (the app's safe default)."""
    labels = tags(conf, resource_type) or {}
    return labels.get(CLASSIFICATION_TAG, PHI) == PHI


def is_aws_managed_key(value: Any) -> bool:
    """A key reference naming an AWS-managed key (``alias/aws/...``), not a customer key."""
    return any("alias/aws/" in part for part in literal_strings(value))


@lru_cache(maxsize=64)
def _resources_of(template_path: str) -> dict[str, Any] | None:
    """The ``Resources`` section of a template file, parsed once per scan; None if unreadable."""
    from checkov.cloudformation.parser import parse

    if not os.path.isfile(template_path):
        return None
    template, _raw = parse(template_path)
    resources = template.get("Resources") if isinstance(template, dict) else None
    return resources if isinstance(resources, dict) else None


def _template_path(scanned_file: str) -> str:
    """checkov reports ``/<path relative to the scan root>``; with file scans the root is the cwd."""
    if os.path.isfile(scanned_file):
        return scanned_file
    return os.path.normpath(os.path.join(os.getcwd(), scanned_file.lstrip("/")))


def template_resources(entity_path: str, conf: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The whole ``Resources`` of the template a resource sits in, and the resource's logical id.

    checkov's CloudFormation graph keeps only ``Type``/``Properties``/``Metadata`` of the resource a
    check sees (``entity_path`` = ``file:Type:LogicalId``); checks that need a resource's policies or
    its neighbours re-read the template file itself.
    """
    logical_id = entity_path.rsplit(":", 1)[-1]
    scanned_file = entity_path.removesuffix(f":{conf.get('Type')}:{logical_id}")
    return _resources_of(_template_path(scanned_file)), logical_id
