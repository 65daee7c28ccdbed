"""Replication-lag alarms of one region, publishing to an encrypted SNS topic.

Each alarm watches a metric that measures how far the DR copy is behind (Aurora global lag and RPO
lag, cache global datastore lag, S3 replication latency, EFS time since last sync, Kinesis consumer
iterator age). The topic notifies the on-call address; the failover runbook subscribes separately.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from cdk_app.config import AppConfig
from cdk_app.naming import Naming


@dataclass(frozen=True)
class LagAlarmSpec:
    """One lag metric and the threshold above which the DR copy is too far behind."""

    alarm_id: str
    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    threshold: float
    description: str
    statistic: str = "Maximum"
    periods: int = 3
    missing_is_breaching: bool = False


class LagAlarms(Construct):
    """Alarms (with SNS actions on ALARM and OK) for the given lag specs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        naming: Naming,
        side: str,
        logs_key: kms.IKey,
        specs: list[LagAlarmSpec],
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=naming.name(f"replication-alarms-{side}"),
            master_key=logs_key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subs.EmailSubscription(config.alarm_email))
        action = cw_actions.SnsAction(self.topic)
        self.alarms: dict[str, cw.Alarm] = {}
        for spec in specs:
            alarm = cw.Alarm(
                self,
                spec.alarm_id,
                alarm_name=naming.name(f"{side}-{spec.alarm_id}"),
                alarm_description=spec.description,
                metric=cw.Metric(
                    namespace=spec.namespace,
                    metric_name=spec.metric_name,
                    dimensions_map=spec.dimensions,
                    statistic=spec.statistic,
                    period=Duration.minutes(1),
                ),
                threshold=spec.threshold,
                evaluation_periods=spec.periods,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=(
                    cw.TreatMissingData.BREACHING
                    if spec.missing_is_breaching
                    else cw.TreatMissingData.NOT_BREACHING
                ),
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[spec.alarm_id] = alarm
