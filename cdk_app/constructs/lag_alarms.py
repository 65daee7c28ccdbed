"""Replication-lag alarms of one region, publishing to an encrypted SNS topic.

Each alarm watches a metric that measures how far the DR copy is behind (Aurora global lag and RPO
lag, cache global datastore lag, S3 replication latency, EFS time since last sync, Kinesis consumer
iterator age). The topic notifies the on-call address; the failover runbook subscribes separately.

Missing data is never a breach (``NOT_BREACHING``): a metric that is not published (a dimension set
the service does not use, a quiet period, a deploy before the first datapoint) must not start a
failover. A metric published under more than one dimension set is watched through the maximum of all
of them (metric math ``MAX``), so the alarm sees it whichever set carries the data.
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
    #: further dimension sets the same metric is published under (watched through MAX of all sets)
    also_published_as: tuple[dict[str, str], ...] = ()


def _metric_of(spec: LagAlarmSpec) -> cw.IMetric:
    """The spec's metric, or MAX over every dimension set it is published under."""
    metrics = [
        cw.Metric(
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            dimensions_map=dimensions,
            statistic=spec.statistic,
            period=Duration.minutes(1),
        )
        for dimensions in (spec.dimensions, *spec.also_published_as)
    ]
    if len(metrics) == 1:
        return metrics[0]
    ids = [f"m{i}" for i in range(len(metrics))]
    return cw.MathExpression(
        expression=f"MAX([{', '.join(ids)}])",
        using_metrics=dict(zip(ids, metrics, strict=True)),
        label=spec.metric_name,
        period=Duration.minutes(1),
    )


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
                metric=_metric_of(spec),
                threshold=spec.threshold,
                evaluation_periods=spec.periods,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[spec.alarm_id] = alarm
