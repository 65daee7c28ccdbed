"""RPO (metric) of an AWS run: the DR side's ``aurora_global_db_status()`` sampled all drill long.

The probe reads from the DR cluster's reader endpoint, which a simulated impairment of the primary
leaves reachable; credentials come from the DB secret's replica in the DR region. The figure at t0 is
the database replication lag only: the stream consumer's lag is published by CloudWatch at one-minute
resolution, too coarse to sample, so it is not part of this RPO (metric) and the journal says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.journal import LagSample, Measurement, Measurements
from contracts.outputs import RegionalKey, Side
from drills.measure.lag import MAX_GAP_INTERVALS, of_source, value_at
from drills.measure.rpo import DB_LAG, rpo_metric
from drills.scenarios.sampler import Probe
from drills.targets.aws.aurora_lag import AuroraLagProbe
from drills.targets.aws.cloudwatch_lag import RPO_LAG, aurora_lag, cross_check, window
from drills.targets.aws.credentials import db_credentials, writer_dsn
from drills.targets.aws.executor import ClientFactory
from drills.targets.aws.outputs import AwsOutputs

SOURCE = DB_LAG
CONSUMER_NOT_SAMPLED = (
    "consumer lag not included: Kinesis iterator age is only published by CloudWatch at one-minute resolution"
)


def dr_side_probe(outputs: AwsOutputs, clients: ClientFactory) -> AuroraLagProbe:
    """The SQL probe on the DR reader endpoint (raises ``CredentialsError`` when the secret is unreadable)."""
    creds = db_credentials(outputs, clients, Side.DR)
    dsn = writer_dsn(outputs, Side.DR, creds, host=outputs.of(Side.DR, RegionalKey.READER_ENDPOINT))
    return AuroraLagProbe(dsn, outputs.region(Side.DR))


def with_metric_rpo(
    m: Measurements, samples: Sequence[LagSample], t0: float | None, interval_s: float
) -> Measurements:
    """``m`` with RPO (metric) from the DB lag samples at t0 (still "not measured" with the reason when
    there is no t0 or no sample close enough)."""
    if t0 is None:
        return m
    metric = rpo_metric(samples, t0, (SOURCE,), round(MAX_GAP_INTERVALS * interval_s, 3)).measurement
    note = f"{metric.note}; {CONSUMER_NOT_SAMPLED}"
    return m.model_copy(update={"rpo_metric": Measurement(value=metric.value, unit="s", note=note)})


def cloudwatch_cross_check(
    outputs: AwsOutputs,
    clients: ClientFactory,
    samples: Sequence[LagSample],
    t0: float | None,
    interval_s: float,
) -> str:
    """The SQL lag at t0 against CloudWatch's ``AuroraGlobalDBRPOLag`` around t0, as one journal note."""
    if t0 is None:
        return "cross-check not made: the fault was not injected"
    hit = value_at(of_source(list(samples), SOURCE), t0, round(MAX_GAP_INTERVALS * interval_s, 3))
    try:
        points = aurora_lag(outputs, clients, RPO_LAG, *window(t0))
    except Exception as err:  # monitoring unreadable: say so, the drill's evidence stands
        return f"cross-check not made: CloudWatch not readable ({type(err).__name__})"
    return cross_check(hit.lag_s if hit else None, points, t0)


__all__ = ["CONSUMER_NOT_SAMPLED", "Probe", "cloudwatch_cross_check", "dr_side_probe", "with_metric_rpo"]
