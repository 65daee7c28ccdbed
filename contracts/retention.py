"""Retention periods the app provisions and the compliance gate verifies, each spelled once.

The CDK app sets them, the cdk-nag acknowledgements quote them, and the gate's checks hold the
templates to them, so a claim ("35-day automated backups") and its verification cannot drift apart.
"""

from __future__ import annotations

#: Aurora automated backups (days); the RDSInBackupPlan acknowledgement rests on this.
AURORA_BACKUP_RETENTION_DAYS = 35

#: AWS Backup plan copies of Aurora and EFS, in the primary vault and the DR copy (days).
BACKUP_PLAN_RETENTION_DAYS = 35

#: Kinesis stream retention (hours): replay after a failover needs a week of events.
STREAM_RETENTION_HOURS = 7 * 24

#: CloudWatch log groups: HIPAA §164.316(b)(2)(i) documentation retention, six years (days).
LOG_RETENTION_DAYS = 2192
