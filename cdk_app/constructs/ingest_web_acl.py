"""WAF in front of the ingest API, sized for the largest batch devices really send.

``AWSManagedRulesCommonRuleSet`` blocks bodies over 8 KB with its ``SizeRestrictions_BODY`` rule
(REFERENCE.md "AWS constraints"): about 35 events, against the producer's 500-event batches. That one
rule is overridden to Count and replaced by two scoped rules:

- ``EventsBodyLimit``: ``POST .../events`` is blocked unless its ``Content-Length`` is at most
  ``MAX_BATCH_BODY_BYTES`` (the measured maximum batch plus a stated margin). WAF sees at most the
  first 16-64 KB of a body on API Gateway, so it cannot measure a 100 KB body itself; the declared
  length is checked instead (API Gateway reads exactly that many bytes), and a request without one is
  blocked too.
- ``OtherBodyLimit``: every other path keeps the managed rule's 8 KB limit.
Sources: https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
(SizeRestrictions_BODY), https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html
(what WAF can inspect on API Gateway).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.constructs.encrypted_log_group import EncryptedLogGroup
from cdk_app.naming import Naming
from contracts.ingest import MAX_BODY_BYTES, PATH

#: The largest 500-event batch the producer can send is 103,512 bytes (every field at the longest value
#: the event schema allows, serialized as the producer does; a DeviceFleet batch with ten-digit sequence
#: numbers measures about 100,500): tests/cdk_app/test_ingest_api.py recomputes both. Allowed: 128 KiB,
#: a 27 % margin (at least 25 %) for a field added later, far below API Gateway's 10 MB payload limit.
MAX_BATCH_BODY_BYTES = MAX_BODY_BYTES  # 131,072: the one limit the sandbox API enforces too
#: What AWSManagedRulesCommonRuleSet's SizeRestrictions_BODY allows (8 KB), kept for other paths.
MANAGED_BODY_LIMIT_BYTES = 8_192
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
OVERSIZE_RULE = "SizeRestrictions_BODY"


def decimal_at_most(limit: int) -> str:
    """A regex matching exactly the decimal integers 0..``limit`` (no sign, no leading ``+``)."""
    digits = str(limit)
    width = len(digits)
    options = [rf"\d{{1,{width - 1}}}"] if width > 1 else []
    for position, digit in enumerate(digits):
        if digit == "0":
            continue
        rest = width - position - 1
        low = "1" if position == 0 and width > 1 else "0"  # no leading zero on a longer number
        top = int(digit) - 1
        if top < int(low):
            continue
        digit_class = low if top == int(low) else f"[{low}-{top}]"
        options.append(digits[:position] + digit_class + (rf"\d{{{rest}}}" if rest else ""))
    options.append(digits)
    return "^(" + "|".join(options) + ")$"


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=False
    )


def _managed_rule(name: str, priority: int, count: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in count
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )


def _events_path() -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="ENDS_WITH",
            search_string=PATH,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def _block(
    name: str, priority: int, *statements: wafv2.CfnWebACL.StatementProperty
) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=list(statements))
        ),
        visibility_config=_visibility(name),
    )


def _not(statement: wafv2.CfnWebACL.StatementProperty) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=statement)
    )


def web_acl_rules() -> list[wafv2.CfnWebACL.RuleProperty]:
    """The rules in evaluation order."""
    declared_length_ok = wafv2.CfnWebACL.StatementProperty(
        regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "content-length"}),
            regex_string=decimal_at_most(MAX_BATCH_BODY_BYTES),
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )
    body_over_managed_limit = wafv2.CfnWebACL.StatementProperty(
        size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
            ),
            comparison_operator="GT",
            size=MANAGED_BODY_LIMIT_BYTES,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )
    return [
        _block("EventsBodyLimit", 0, _events_path(), _not(declared_length_ok)),
        _block("OtherBodyLimit", 1, _not(_events_path()), body_over_managed_limit),
        _managed_rule(COMMON_RULE_SET, 2, count=(OVERSIZE_RULE,)),
        _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 3),
        wafv2.CfnWebACL.RuleProperty(
            name="RatePerSource",
            priority=4,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=200_000, aggregate_key_type="IP"
                )
            ),
            visibility_config=_visibility("RatePerSource"),
        ),
    ]


class IngestWebAcl(Construct):
    """Regional web ACL + association with the API stage + WAF logging to an encrypted group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        stage_arn: str,
        logs_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=naming.name("ingest-acl"),
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(naming.name("ingest-acl")),
            rules=web_acl_rules(),
        )
        wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=stage_arn, web_acl_arn=self.acl.attr_arn
        )
        waf_log_name = f"aws-waf-logs-{naming.name('ingest')}"  # WAF requires this prefix
        waf_logs = EncryptedLogGroup(self, "WafLogs", config=config, name=waf_log_name, key=logs_key)
        waf_log_arn = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=waf_log_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=self.acl.attr_arn,
            log_destination_configs=[waf_log_arn],
        ).node.add_dependency(waf_logs)
