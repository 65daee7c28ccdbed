"""Required tags on the resources CDK's built-in custom-resource providers emit.

The providers behind ``Custom::S3AutoDeleteObjects``, ``Custom::VpcRestrictDefaultSG`` and the
cross-region ``Custom::CrossRegionExportReader``/``Writer`` are raw ``CfnResource``s (an IAM role and a
Lambda function) without a tag manager, so ``Tags.of(app)`` never reaches them and they would be
missing from the tagged asset inventory (CKV_HT_13). This adds the same tags as a property override.

Two passes, because the cross-region providers only appear while CDK resolves references, which is
*after* aspects run: an aspect catches the providers that exist at aspect time, and a validation on
the app (validation runs after reference resolution, before templates are written) catches the rest.
"""

from __future__ import annotations

from collections.abc import Mapping

import jsii
from aws_cdk import Aspects, CfnResource, IAspect, TagManager
from constructs import IConstruct, IValidation

#: Types the providers emit; both take tags as a list of ``{"Key", "Value"}``.
PROVIDER_RESOURCE_TYPES = frozenset({"AWS::IAM::Role", "AWS::Lambda::Function"})


@jsii.implements(IAspect)
class ProviderTags:
    """Tags every untaggable (raw ``CfnResource``) IAM role and Lambda function it visits."""

    def __init__(self, tags: Mapping[str, str]) -> None:
        self._tags = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]

    def visit(self, node: IConstruct) -> None:
        """Override ``Tags`` on a provider resource; tag-managed L1/L2 resources are left to ``Tags``."""
        if (
            isinstance(node, CfnResource)
            and node.cfn_resource_type in PROVIDER_RESOURCE_TYPES
            and TagManager.of(node) is None
        ):
            node.add_property_override("Tags", self._tags)


@jsii.implements(IValidation)
class _AfterReferenceResolution:
    """Re-applies the aspect to the whole tree once the cross-region providers exist; never an error."""

    def __init__(self, root: IConstruct, aspect: ProviderTags) -> None:
        self._root = root
        self._aspect = aspect

    def validate(self) -> list[str]:
        for node in self._root.node.find_all():
            self._aspect.visit(node)
        return []


def tag_providers(root: IConstruct, tags: Mapping[str, str]) -> None:
    """Give the custom-resource provider roles and functions under ``root`` the required ``tags``."""
    aspect = ProviderTags(tags)
    Aspects.of(root).add(aspect)
    root.node.add_validation(_AfterReferenceResolution(root, aspect))
