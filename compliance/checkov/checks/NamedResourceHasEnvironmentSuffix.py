"""CKV_HT_12 — every explicitly named resource carries the environment suffix in its name.

Two environments (a drill copy, a PR stack) must never collide on a physical name. The suffix is read
from the resource's own ``Environment`` tag, which the CDK app sets to the ``environmentSuffix`` context,
so the check needs no outside configuration. Resources without an explicit name get a generated, unique
one and are not in scope; so are names built from another resource's generated id (a ``Ref``/``GetAtt``
of a logical resource, e.g. API Gateway's ``API-Gateway-Execution-Logs_<api id>/<stage>``), which AWS
dictates and which are unique per deployment already.
"""

from __future__ import annotations

from typing import Any

from cfn_values import ENVIRONMENT_TAG, TAG_PROPERTY, literal_strings, properties, references_resource, tags
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

#: The property that holds the physical name, per taggable resource type.
NAME_PROPERTY: dict[str, str] = {
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::CloudTrail::Trail": "TrailName",
    "AWS::CodeBuild::Project": "Name",
    "AWS::CodePipeline::Pipeline": "Name",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::ECS::Service": "ServiceName",
    "AWS::ECS::TaskDefinition": "Family",
    "AWS::ElastiCache::ReplicationGroup": "ReplicationGroupId",
    "AWS::IAM::Role": "RoleName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::RDS::DBClusterParameterGroup": "DBClusterParameterGroupName",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::WAFv2::WebACL": "Name",
}
assert set(NAME_PROPERTY) <= set(TAG_PROPERTY), "every named type must be taggable to know its suffix"


class NamedResourceHasEnvironmentSuffix(BaseResourceCheck):
    """Fails a named resource whose name does not contain its Environment tag's value."""

    def __init__(self) -> None:
        super().__init__(
            name="Explicitly named resources include the environment suffix in their name",
            id="CKV_HT_12",
            categories=[CheckCategories.CONVENTION],
            supported_resources=list(NAME_PROPERTY),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Unnamed resources are out of scope; a named one must contain the Environment tag value."""
        resource_type = str(conf.get("Type"))
        name = properties(conf).get(NAME_PROPERTY.get(resource_type, ""))
        if name is None or references_resource(name):
            return CheckResult.UNKNOWN
        suffix = (tags(conf, resource_type) or {}).get(ENVIRONMENT_TAG)
        if not isinstance(suffix, str) or not suffix:
            self.details.append(f"named resource without an {ENVIRONMENT_TAG} tag to take the suffix from")
            return CheckResult.FAILED
        if not any(suffix in part for part in literal_strings(name)):
            self.details.append(f"{NAME_PROPERTY[resource_type]} does not contain the environment suffix")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = NamedResourceHasEnvironmentSuffix()
