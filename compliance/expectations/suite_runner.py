"""Run the vitals suites against each region's store; results feed the journal and the report.

The batch is the drill's rows: every row of the devices the ledger names (a primary-key range per
run of consecutive devices, ``sequence_gaps.drill_rows_query``), so a validation costs what the
drill wrote, not what a 5 TB table holds. An ephemeral
Great Expectations context per run (the connection string, which may hold a password,
is never written to disk), one PostgreSQL data source per region, one validation definition per
(suite, region). Each validation result is written as GE JSON (``<suite>@<region>.json``, what the
auditor report reads) and rendered in a Data Docs site under ``out_dir/data_docs``. Value checks keep
counts, never values (``suites.COUNTS_ONLY``); the ledger suite's rows are device ids and sequence
ranges, so its gaps are listed by name.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import great_expectations as gx
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.data_context.types.base import ProgressBarsConfig
from psycopg.conninfo import conninfo_to_dict

from compliance.expectations.ledger_facts import LedgerFacts, ledger_facts
from compliance.expectations.sequence_gaps import drill_rows_query, sequence_gaps_query
from compliance.expectations.suite_names import LEDGER_SUITE
from compliance.expectations.suites import all_suites, run_result_format
from contracts.events import LedgerRow
from contracts.journal import IntegrityResult
from contracts.store import TABLE

#: Gap rows kept per result (the GE JSON and Data Docs carry them all).
GAPS_KEPT = 100
_SAFE_ROW_FIELDS = ("device_id", "seq", "gap_from", "gap_to")
DOCS = "data_docs"


def run_suites(
    stores: Mapping[str, str], ledger: Sequence[LedgerRow], out_dir: Path, *,
    without_ledger: Collection[str] = (), table: str = TABLE,
    progress: Callable[[str], None] = lambda _: None,
) -> list[IntegrityResult]:
    """Validate the suites on the drill's rows of every store (``{region: dsn}``); write results and
    Data Docs. The ledger suite is left out for the regions in ``without_ledger`` (stores not
    expected to hold every acknowledged event).
    """
    if not ledger:
        raise ValueError("the ledger is empty: a validation is scoped to the devices it names, so "
                         "run the suites after a drill that sent events")
    facts = ledger_facts(ledger)
    parameters = _ledger_parameters(facts)
    scope = drill_rows_query(table, facts)
    out_dir = out_dir.resolve()  # GE's site builder takes absolute paths only
    work = out_dir.with_name(f".{out_dir.name}.partial")  # renamed when complete: no half evidence
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    context = _context(work / DOCS)
    suites = [context.suites.add(suite) for suite in all_suites()]
    results = []
    for region, dsn in stores.items():
        batch = _batch(context, region, dsn, table, scope)
        for suite in suites:
            if suite.name == LEDGER_SUITE and region in without_ledger:
                continue
            outcome, name = _validate(context, region, batch, suite, parameters, work)
            result = _integrity_result(suite.name, region, outcome, out_dir / name, out_dir / DOCS)
            progress(result.summary)
            results.append(result)
    context.build_data_docs(site_names=["integrity"])
    _prune_static(work / DOCS)
    shutil.rmtree(out_dir, ignore_errors=True)
    work.rename(out_dir)
    return results


def _context(docs_dir: Path) -> Any:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # progress goes to our callers
    context.add_data_docs_site(
        site_name="integrity",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def _prune_static(docs_dir: Path) -> None:
    """Drop the site's bundled assets no page links to (4 MB of tutorial images and fonts per run;
    the pages load their styles from GE's CDNs), so each run's evidence stays ~0.3 MB."""
    pages = " ".join(p.read_text(encoding="utf-8") for p in docs_dir.rglob("*.html"))
    for asset in (docs_dir / "static").rglob("*"):
        if asset.is_file() and asset.relative_to(docs_dir).as_posix() not in pages:
            asset.unlink()


def _ledger_parameters(facts: LedgerFacts) -> dict[str, Any]:
    return {"acked_events": facts.acked, "sent_events": facts.sent,
            "sequence_gaps_query": sequence_gaps_query(facts)}


def _batch(context: Any, region: str, dsn: str, table: str, scope: str) -> Any:
    source = context.data_sources.add_postgres(name=region, connection_string=_sqlalchemy_url(dsn))
    return source.add_query_asset(name=table, query=scope).add_batch_definition_whole_table("all")


def _validate(context: Any, region: str, batch: Any, suite: ExpectationSuite, parameters: dict[str, Any],
              work: Path) -> tuple[Any, str]:
    """Run one suite on one store; its GE result JSON is written to ``work`` (returns the file name)."""
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite.name}@{region}", data=batch, suite=suite)
    )
    outcome = definition.run(expectation_parameters=parameters, result_format=run_result_format(suite.name))
    name = f"{suite.name}@{region}.json"
    (work / name).write_text(json.dumps(outcome.to_json_dict(), indent=2, default=str))
    return outcome, name


def _integrity_result(suite: str, region: str, outcome: Any, path: Path, docs: Path) -> IntegrityResult:
    checks = [_check(r) for r in outcome.results]
    failed = [c for c in checks if not c["success"]]
    gaps = [row for c in failed for row in c.get("unexpected_rows") or [] if "gap_from" in row]
    summary = (
        f"{suite} on {region}: all {len(checks)} expectations met" if not failed else
        f"{suite} on {region}: {len(failed)} of {len(checks)} not met: "
        + ", ".join(f"{c['expectation']}({c['column'] or ''})" for c in failed)
    )
    if gaps:
        summary += "; gaps " + ", ".join(_gap(g) for g in gaps[:5]) + (" …" if len(gaps) > 5 else "")
    return IntegrityResult(
        name=f"gx:{suite}@{region}", passed=bool(outcome.success), summary=summary,
        details={"suite": suite, "region": region, "expectations": checks, "results_file": str(path),
                 "data_docs": str(docs / "index.html")},
    )


def _check(r: Any) -> dict[str, Any]:
    kwargs = r.expectation_config.kwargs
    result = r.result or {}
    return {
        "expectation": r.expectation_config.type,
        "column": kwargs.get("column") or ",".join(kwargs.get("column_list") or []) or None,
        "success": bool(r.success),
        "unexpected_count": result.get("unexpected_count"),
        "observed_value": _safe_observed(result.get("observed_value")),
        "unexpected_rows": _safe_rows(result.get("details", {}).get("unexpected_rows")),
    }


def _gap(row: dict[str, Any]) -> str:
    first, last = row["gap_from"], row["gap_to"]
    return f"{row['device_id']}:{first}" + (f"..{last}" if last != first else "")


def _safe_observed(value: Any) -> Any:
    """Row counts and column lists are safe; anything else is left out (could be a value)."""
    return value if isinstance(value, int | str | list) else None


def _safe_rows(rows: Any) -> list[dict[str, Any]] | None:
    """Custom queries select device ids and sequence numbers only; keep at most ``GAPS_KEPT``."""
    if not rows:
        return None
    return [{k: v for k, v in dict(row).items() if k in _SAFE_ROW_FIELDS} for row in list(rows)[:GAPS_KEPT]]


def _sqlalchemy_url(dsn: str) -> str:
    """libpq DSN -> ``postgresql+psycopg://`` URL for Great Expectations' SQLAlchemy engine."""
    info = conninfo_to_dict(dsn)
    user = quote(str(info.get("user", "postgres")), safe="")
    password = f":{quote(str(info['password']), safe='')}" if info.get("password") else ""
    host, port, db = info.get("host", "127.0.0.1"), info.get("port", 5432), info.get("dbname", "postgres")
    return f"postgresql+psycopg://{user}{password}@{host}:{port}/{db}"
