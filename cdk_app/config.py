"""Typed configuration of the CDK app, read once from CDK context and validated before synthesis.

Every value the stacks need comes from here, so a bad input fails with one line naming the context
key and the fix, before a single construct exists (nothing half-synthesized is left in ``cdk.out``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import CfnDeletionPolicy, RemovalPolicy

from contracts.outputs import Side

#: Regions the app can deploy to, with the three AZs the VPC spans. Listing AZs here (instead of a
#: context look-up) keeps synthesis offline and deterministic.
REGION_AZS: Mapping[str, tuple[str, str, str]] = {
    "ca-central-1": ("ca-central-1a", "ca-central-1b", "ca-central-1d"),
    "ca-west-1": ("ca-west-1a", "ca-west-1b", "ca-west-1c"),
    "us-east-1": ("us-east-1a", "us-east-1b", "us-east-1c"),
    "us-east-2": ("us-east-2a", "us-east-2b", "us-east-2c"),
    "us-west-2": ("us-west-2a", "us-west-2b", "us-west-2c"),
    "eu-west-1": ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
    "eu-central-1": ("eu-central-1a", "eu-central-1b", "eu-central-1c"),
}

DEFAULT_PRIMARY_REGION = "ca-central-1"
DEFAULT_DR_REGION = "ca-west-1"
_SUFFIX_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_SECRET_ARN_RE = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$")
_CONNECTION_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)
_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
#: Route 53 hosted zone ids are "Z" + up to 31 upper-case letters/digits (as ListHostedZones prints them).
_ZONE_ID_RE = re.compile(r"^Z[A-Z0-9]{1,31}$")
#: A DNS name of at least two labels: lower-case letters, digits and inner hyphens, 1-63 per label.
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


class ConfigError(ValueError):
    """A context value is missing or invalid; the message names the key and how to fix it."""


@dataclass(frozen=True)
class ExistingSecret:
    """A Secrets Manager secret that already exists (we import it, never create it)."""

    context_key: str
    name_or_arn: str

    @property
    def is_arn(self) -> bool:
        """True when the operator gave a full ARN (then we import by ARN, else by name)."""
        return self.name_or_arn.startswith("arn:")


@dataclass(frozen=True)
class CodeStarSource:
    """The pipeline's source when given: a CodeStar (CodeConnections) connection to a git repository."""

    connection_arn: str
    owner: str
    repository: str
    branch: str = "main"


@dataclass(frozen=True)
class IngestSizing:
    """Load the ingest path must carry; the stream's shard count is derived from it."""

    events_per_minute: int = 100_000
    avg_event_bytes: int = 1_024
    headroom: float = 2.0


@dataclass(frozen=True)
class ClientDomain:
    """Where clients resolve the ingest API: a Route 53 zone and the name inside it.

    With it the app gives both regional APIs the same custom domain and answers that name with
    Route 53 failover records (primary while its health check passes, then DR).
    """

    hosted_zone_id: str
    domain_name: str


@dataclass(frozen=True)
class AppConfig:
    """Everything the stacks need, validated. ``production`` switches to Retain + deletion protection."""

    environment_suffix: str
    primary_region: str
    dr_region: str
    db_secret: ExistingSecret
    cache_secret: ExistingSecret
    dagster_db_secret: ExistingSecret | None = None  # None: the conventional name, see below
    pipeline_source: CodeStarSource | None = None  # None: the S3 source bundle (README upload command)
    production: bool = False
    alarm_email: str | None = None
    owner: str = "platform-team"
    #: A pushed image URI that replaces the one built from the repository's Dockerfile (None: build it).
    processor_image: str | None = None
    sizing: IngestSizing = IngestSizing()
    client_domain: ClientDomain | None = None

    @property
    def control_plane_db_secret(self) -> ExistingSecret:
        """The drill control plane's Dagster database master secret (imported, never created):
        ``-c dagsterDbSecret=...`` or, by default, ``htdr/<suffix>/dagster-db``."""
        return self.dagster_db_secret or ExistingSecret(
            context_key="dagsterDbSecret", name_or_arn=f"htdr/{self.environment_suffix}/dagster-db"
        )

    def region_of(self, side: Side) -> str:
        """The region ``side`` deploys to."""
        return self.primary_region if side is Side.PRIMARY else self.dr_region

    def azs(self, region: str) -> tuple[str, str, str]:
        """The three AZs of ``region`` (validated to be known at load time)."""
        return REGION_AZS[region]

    @property
    def removal_policy(self) -> RemovalPolicy:
        """DESTROY keeps test environments fully destroyable; production keeps data on stack deletion."""
        return RemovalPolicy.RETAIN if self.production else RemovalPolicy.DESTROY

    @property
    def cfn_deletion_policy(self) -> CfnDeletionPolicy:
        """The same choice for L1 resources whose CloudFormation default would be Snapshot."""
        return CfnDeletionPolicy.RETAIN if self.production else CfnDeletionPolicy.DELETE


def _text(context: Mapping[str, object], key: str) -> str | None:
    """Context values arrive as strings from ``-c`` and as JSON types from cdk.json: normalise."""
    value = context.get(key)
    if value is None:
        return None
    return str(value).strip()


def _suffix(context: Mapping[str, object]) -> str:
    value = _text(context, "environmentSuffix")
    if not value:
        raise ConfigError(
            "environmentSuffix: missing; pass -c environmentSuffix=<name> "
            "(lower-case letters, digits, hyphen)"
        )
    if not _SUFFIX_RE.fullmatch(value):
        raise ConfigError(
            f"environmentSuffix: {value!r} is invalid; use 1-12 lower-case letters, digits or inner hyphens "
            "(e.g. -c environmentSuffix=dev1)"
        )
    return value


def _region(context: Mapping[str, object], key: str, default: str) -> str:
    value = _text(context, key) or default
    if value not in REGION_AZS:
        known = ", ".join(sorted(REGION_AZS))
        raise ConfigError(f"{key}: unknown region {value!r}; use one of {known}")
    return value


def _secret(context: Mapping[str, object], key: str, shape: str) -> ExistingSecret:
    value = _text(context, key)
    if not value:
        raise ConfigError(
            f"{key}: missing; pass -c {key}=<name or ARN of the existing Secrets Manager secret {shape}>"
        )
    if not (
        _SECRET_ARN_RE.fullmatch(value) or (not value.startswith("arn:") and _SECRET_NAME_RE.fullmatch(value))
    ):
        raise ConfigError(
            f"{key}: {value!r} is neither a secret name nor a Secrets Manager ARN; fix the value"
        )
    return ExistingSecret(context_key=key, name_or_arn=value)


def _flag(context: Mapping[str, object], key: str) -> bool:
    value = (_text(context, key) or "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{key}: {value!r} is not a boolean; use -c {key}=true or -c {key}=false")


def _email(context: Mapping[str, object]) -> str | None:
    value = _text(context, "alarmEmail")
    if not value:
        return None
    if not _EMAIL_RE.fullmatch(value):
        raise ConfigError(
            "alarmEmail: not an e-mail address; pass -c alarmEmail=<oncall@example.org> or omit it"
        )
    return value


def _pipeline_source(context: Mapping[str, object]) -> CodeStarSource | None:
    arn = _text(context, "sourceConnectionArn")
    repository = _text(context, "sourceRepository")
    if not arn and not repository:
        return None
    if not arn or not _CONNECTION_ARN_RE.fullmatch(arn):
        raise ConfigError(
            "sourceConnectionArn: missing or not a CodeStar connection ARN; pass "
            "-c sourceConnectionArn=arn:aws:codeconnections:<region>:<account>:connection/<id> "
            "with -c sourceRepository=<owner>/<repo>"
        )
    if not repository or not _REPOSITORY_RE.fullmatch(repository):
        raise ConfigError(
            "sourceRepository: missing or not <owner>/<repo>; pass -c sourceRepository=org/htdr"
        )
    owner, name = repository.split("/", 1)
    return CodeStarSource(
        connection_arn=arn, owner=owner, repository=name, branch=_text(context, "sourceBranch") or "main"
    )


def _client_domain(context: Mapping[str, object]) -> ClientDomain | None:
    zone, domain = _text(context, "hostedZoneId"), _text(context, "domainName")
    if not zone and not domain:
        return None
    if not zone:
        raise ConfigError(
            "hostedZoneId: missing while domainName is set; pass -c hostedZoneId=<Route 53 zone id> too"
        )
    if not domain:
        raise ConfigError(
            "domainName: missing while hostedZoneId is set; pass -c domainName=<name in that zone> too"
        )
    if not _ZONE_ID_RE.fullmatch(zone):
        raise ConfigError(
            f"hostedZoneId: {zone!r} is not a Route 53 hosted zone id; use the id without /hostedzone/ "
            "(e.g. -c hostedZoneId=Z0123456789ABCDEFGHIJ)"
        )
    if not _DOMAIN_RE.fullmatch(domain):
        raise ConfigError(
            f"domainName: {domain!r} is not a lower-case DNS name; use e.g. -c domainName=ingest.example.org"
        )
    return ClientDomain(hosted_zone_id=zone, domain_name=domain)


def load_config(context: Mapping[str, object]) -> AppConfig:
    """Build the validated :class:`AppConfig` from CDK context (``-c key=value`` and cdk.json)."""
    suffix = _suffix(context)
    primary = _region(context, "primaryRegion", DEFAULT_PRIMARY_REGION)
    dr = _region(context, "drRegion", DEFAULT_DR_REGION)
    if primary == dr:
        raise ConfigError(f"drRegion: equals primaryRegion ({primary}); choose a different DR region")
    owner = _text(context, "owner") or AppConfig.owner
    image = _text(context, "processorImage") or AppConfig.processor_image
    return AppConfig(
        environment_suffix=suffix,
        primary_region=primary,
        dr_region=dr,
        db_secret=_secret(context, "dbSecret", 'holding {"username": ..., "password": ...}'),
        cache_secret=_secret(context, "cacheSecret", 'holding {"authToken": ...}'),
        dagster_db_secret=(
            _secret(context, "dagsterDbSecret", 'holding {"username": ..., "password": ...}')
            if _text(context, "dagsterDbSecret")
            else None
        ),
        pipeline_source=_pipeline_source(context),
        production=_flag(context, "production"),
        alarm_email=_email(context),
        owner=owner,
        processor_image=image,
        client_domain=_client_domain(context),
    )
