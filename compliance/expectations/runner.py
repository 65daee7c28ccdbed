"""Run the vitals suites against each region's store after a drill; results feed the journal.

An ephemeral Great Expectations context per run (the connection string, which may hold a password,
is never written to disk), one PostgreSQL data source per region, one validation definition per
(suite, region), and a Data Docs site under ``out_dir/data_docs``. Results keep counts, never
values: runs use ``suites.COUNTS_ONLY`` (no sample of unexpected values), so a custom query's rows
are counted, not listed; the checksum diff names exact rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import great_expectations as gx
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.data_context.types.base import ProgressBarsConfig
from psycopg.conninfo import conninfo_to_dict

from compliance.expectations.sequence_gaps import sequence_gaps_query
from compliance.expectations.suites import COUNTS_ONLY, all_suites
from drills.integrity.ledger_source import LedgerSource
from drills.journal import IntegrityResult


def run_suites(
    dsn: str | Mapping[str, str], ledger_path: Path, out_dir: Path, table: str = "vitals_events"
) -> list[IntegrityResult]:
    """Validate every suite on every store (``{region: dsn}``, or one DSN) and build Data Docs."""
    stores = {"store": dsn} if isinstance(dsn, str) else dict(dsn)
    parameters = _ledger_parameters(ledger_path)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # progress goes to our callers
    docs_dir = Path(out_dir) / "data_docs"
    context.add_data_docs_site(
        site_name="integrity",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    suites = [context.suites.add(suite) for suite in all_suites()]
    results = [
        _validate(context, region, store_dsn, table, suite, parameters)
        for region, store_dsn in stores.items()
        for suite in suites
    ]
    context.build_data_docs(site_names=["integrity"])
    index = docs_dir / "index.html"
    return [r.model_copy(update={"details": {**r.details, "data_docs": str(index)}}) for r in results]


def _ledger_parameters(ledger_path: Path) -> dict[str, Any]:
    ledger = LedgerSource(ledger_path)
    ledger.open()
    try:
        acked, sent = ledger.acked_counts()
        return {
            "acked_events": acked,
            "sent_events": sent,
            "sequence_gaps_query": sequence_gaps_query(ledger.last_acked_seqs()),
        }
    finally:
        ledger.close()


def _validate(
    context: Any, region: str, dsn: str, table: str, suite: ExpectationSuite, parameters: dict[str, Any]
) -> IntegrityResult:
    source = context.data_sources.get(region) if region in context.data_sources.all() else None
    if source is None:
        source = context.data_sources.add_postgres(name=region, connection_string=_sqlalchemy_url(dsn))
        source.add_table_asset(name=table, table_name=table).add_batch_definition_whole_table("all")
    batch = source.get_asset(table).get_batch_definition("all")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite.name}@{region}", data=batch, suite=suite)
    )
    # the run-level format wins over the expectations' own: counts only, no sample of values
    outcome = definition.run(expectation_parameters=parameters, result_format=COUNTS_ONLY)
    return _integrity_result(suite.name, region, outcome)


def _integrity_result(suite: str, region: str, outcome: Any) -> IntegrityResult:
    checks = []
    for r in outcome.results:
        kwargs = r.expectation_config.kwargs
        result = r.result or {}
        checks.append({
            "expectation": r.expectation_config.type,
            "column": kwargs.get("column") or ",".join(kwargs.get("column_list") or []) or None,
            "success": bool(r.success),
            "unexpected_count": result.get("unexpected_count"),
            "observed_value": _safe_observed(result.get("observed_value")),
            "unexpected_rows": _safe_rows(result.get("details", {}).get("unexpected_rows")),
        })
    failed = [c for c in checks if not c["success"]]
    summary = (
        f"{suite} on {region}: all {len(checks)} expectations passed" if not failed else
        f"{suite} on {region}: {len(failed)} of {len(checks)} failed: "
        + ", ".join(f"{c['expectation']}({c['column'] or ''})" for c in failed)
    )
    return IntegrityResult(
        name=f"gx:{suite}@{region}", passed=bool(outcome.success), summary=summary,
        details={"suite": suite, "region": region, "expectations": checks},
    )


def _safe_observed(value: Any) -> Any:
    """Row counts and column lists are safe; anything else is left out (could be a value)."""
    return value if isinstance(value, int | str | list) else None


def _safe_rows(rows: Any) -> list[dict[str, Any]] | None:
    """Custom queries select device id and sequence numbers only; keep at most 100 of them."""
    if not rows:
        return None
    return [{k: v for k, v in dict(row).items() if k in {"device_id", "seq", "gap_from", "gap_to"}}
            for row in list(rows)[:100]]


def _sqlalchemy_url(dsn: str) -> str:
    """libpq DSN -> ``postgresql+psycopg://`` URL for Great Expectations' SQLAlchemy engine."""
    info = conninfo_to_dict(dsn)
    user = quote(str(info.get("user", "postgres")), safe="")
    password = f":{quote(str(info['password']), safe='')}" if info.get("password") else ""
    host, port, db = info.get("host", "127.0.0.1"), info.get("port", 5432), info.get("dbname", "postgres")
    return f"postgresql+psycopg://{user}{password}@{host}:{port}/{db}"
