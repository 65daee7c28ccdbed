"""CKV_HT_25 — KMS key policies grant nothing to a principal outside the account.

Whoever a key policy allows can decrypt the PHI the key protects (§164.312(a)(1), §164.312(a)(2)(iv)).
An ``Allow`` statement passes when its AWS principals are this account (a value built from
``AWS::AccountId``) or roles of the same template (``Ref``/``Fn::GetAtt``), or when it names only AWS
services. ``*`` passes only under a condition pinning the caller to this account (``kms:CallerAccount``,
``aws:PrincipalAccount`` or ``aws:SourceAccount`` equal to ``AWS::AccountId``). A literal account id or
ARN may belong to anyone, so it fails.
"""

from __future__ import annotations

from typing import Any

from cfn_values import properties, references_resource, statements
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult

ACCOUNT_CONDITION_KEYS = {"kms:calleraccount", "aws:principalaccount", "aws:sourceaccount"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_this_account(value: Any) -> bool:
    """A value built from ``AWS::AccountId`` (Ref, Fn::Join, Fn::Sub) or a resource of the template."""
    if isinstance(value, dict):
        if value.get("Ref") == "AWS::AccountId":
            return True
        sub = value.get("Fn::Sub")
        template = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(template, str) and "${AWS::AccountId}" in template:
            return True
        join = value.get("Fn::Join")
        if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
            return any(_is_this_account(part) for part in join[1])
        return references_resource(value)
    return False


def _pinned_to_account(condition: Any) -> bool:
    """A condition requiring the caller's (or source's) account to be this account."""
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if not str(operator).startswith("StringEquals") or not isinstance(block, dict):
            continue
        for key, value in block.items():
            pinned = all(_is_this_account(v) for v in _as_list(value))
            if str(key).lower() in ACCOUNT_CONDITION_KEYS and pinned:
                return True
    return False


def _outside_principals(statement: dict[str, Any]) -> list[str]:
    """Descriptions of the principals of an Allow statement that may be outside the account."""
    principal = statement.get("Principal")
    if principal == "*":
        return [] if _pinned_to_account(statement.get("Condition")) else ["*"]
    if not isinstance(principal, dict):
        return ["an unreadable principal"]
    outside = []
    for value in _as_list(principal.get("AWS", [])):
        if value == "*":
            if not _pinned_to_account(statement.get("Condition")):
                outside.append("*")
        elif not _is_this_account(value):
            described = value if isinstance(value, str) else "a principal not built from AWS::AccountId"
            outside.append(described)
    return outside


class KmsKeyPolicyNoExternalPrincipal(BaseResourceCheck):
    """Fails a key whose policy allows a principal that may be outside the account."""

    def __init__(self) -> None:
        super().__init__(
            name="KMS key policies grant no principal outside the account",
            id="CKV_HT_25",
            categories=[CheckCategories.IAM],
            supported_resources=["AWS::KMS::Key", "AWS::KMS::ReplicaKey"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Every Allow statement's principals stay inside the account."""
        for statement in statements(properties(conf).get("KeyPolicy")):
            if statement.get("Effect") != "Allow":
                continue
            outside = _outside_principals(statement)
            if outside:
                self.details.append("the key policy allows " + ", ".join(outside))
                return CheckResult.FAILED
        return CheckResult.PASSED


check = KmsKeyPolicyNoExternalPrincipal()
