"""Find and read every evidence file under a reports directory, refusing any that looks like PHI.

Layout read (any part may be missing; what is missing becomes NO EVIDENCE, never PASS):
``drills/*.json`` drill journals, ``compliance/`` gate outputs (``gate-summary.json``,
``checkov/results_json.json``, ``cdk-nag/{policy-,}validation-report.json`` and whatever else the gate
wrote), ``integrity/`` Great Expectations results and Data Docs. A file that cannot be read is reported
as a problem rather than silently dropped; a file with PHI-like content is withheld from the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from compliance.report.checkov_results import CheckovResults, parse_checkov
from compliance.report.evidence_error import EvidenceUnreadableError
from compliance.report.ge_results import GeResult, parse_ge
from compliance.report.models import EvidenceProblem
from compliance.report.nag_results import NagResults, parse_nag
from compliance.report.phi_guard import file_findings
from contracts.evidence_layout import SOURCE_DIRS
from contracts.journal import DrillJournal

CHECKOV_JSON = "compliance/checkov/results_json.json"
NAG_REPORTS = (
    "compliance/cdk-nag/policy-validation-report.json",
    "compliance/cdk-nag/validation-report.json",
)
GATE_SUMMARY = "compliance/gate-summary.json"


@dataclass(frozen=True)
class GateFinding:
    """A failure the gate summary lists from a tool the report does not read itself (e.g. cfn-lint)."""

    tool: str
    check_id: str
    check_name: str
    resource: str
    file: str
    citations: list[str]


@dataclass(frozen=True)
class GateEvidence:
    """What the report takes from ``gate-summary.json``: the verdict in words, errors, other findings."""

    verdict: str
    errors: list[str] = field(default_factory=list)
    other_findings: list[GateFinding] = field(default_factory=list)
    #: (tool, check id) -> the non-HIPAA controls (hygiene, deployability) a failed check belongs to
    engineering: dict[tuple[str, str], list[str]] = field(default_factory=dict)


@dataclass
class EvidenceSet:
    """The evidence of one report; paths are relative to the reports directory (POSIX form)."""

    root: Path
    files: list[str] = field(default_factory=list)  # copied into the report, in order
    journals: list[tuple[str, DrillJournal]] = field(default_factory=list)  # oldest first
    checkov: tuple[str, CheckovResults] | None = None
    nag: tuple[str, NagResults] | None = None
    ge: list[tuple[str, GeResult]] = field(default_factory=list)
    gate_summary: tuple[str, GateEvidence] | None = None
    problems: list[EvidenceProblem] = field(default_factory=list)


def gather(reports_dir: Path) -> EvidenceSet:
    """Scan ``reports_dir`` for evidence, withhold PHI-like files, parse what each tool wrote."""
    found = EvidenceSet(root=reports_dir)
    for rel in _candidates(reports_dir):
        findings = file_findings(reports_dir / rel)
        if findings:
            found.problems.append(
                EvidenceProblem(
                    source=rel, problem=f"withheld: contains PHI-like values ({', '.join(findings)})"
                )
            )
            continue
        found.files.append(rel)
        _read_one(found, rel)
    found.journals.sort(key=lambda item: (item[1].started_at, item[1].run_id))
    return found


def _candidates(reports_dir: Path) -> list[str]:
    """Every regular file of the evidence folders, sorted so reports are reproducible.

    Unfinished output is left out: ``*.tmp`` files and hidden (``.*``) folders such as the
    ``.<run>.partial`` a store validation writes into before renaming it."""
    rels: list[str] = []
    for top in SOURCE_DIRS:
        base = reports_dir / top
        if base.is_dir():
            rels.extend(
                p.relative_to(reports_dir).as_posix()
                for p in base.rglob("*")
                if p.is_file() and not p.is_symlink() and not p.name.endswith(".tmp")
                and not any(part.startswith(".") for part in p.relative_to(base).parts)
            )
    return sorted(rels)


def _read_one(found: EvidenceSet, rel: str) -> None:
    """Parse ``rel`` if it is evidence the report interprets; other files are only carried and hashed."""
    is_journal = rel.startswith("drills/") and rel.count("/") == 1 and rel.endswith(".json")
    is_ge = rel.startswith("integrity/") and rel.endswith(".json")
    if not (is_journal or is_ge or rel in (CHECKOV_JSON, GATE_SUMMARY, *NAG_REPORTS)):
        return
    try:
        text = (found.root / rel).read_text(encoding="utf-8")
        if is_journal:
            found.journals.append((rel, DrillJournal.model_validate_json(text)))
            return
        raw = json.loads(text)
        _interpret(found, rel, raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        found.problems.append(
            EvidenceProblem(source=rel, problem=f"unreadable drill journal: {where}: {first['msg']}")
        )
    except json.JSONDecodeError as exc:
        found.problems.append(
            EvidenceProblem(source=rel, problem=f"unreadable: not JSON (line {exc.lineno})")
        )
    except (EvidenceUnreadableError, KeyError, TypeError, AttributeError, ValueError) as exc:
        problem = (
            str(exc)
            if isinstance(exc, EvidenceUnreadableError)
            else f"unexpected shape ({type(exc).__name__})"
        )
        found.problems.append(EvidenceProblem(source=rel, problem=f"unreadable: {problem}"))


def gate_verdict(raw: Any) -> str:
    """The gate's verdict in words, from the fields of its ``gate-summary.json`` the report relies on."""
    if not isinstance(raw, dict) or not isinstance(raw.get("passed"), bool):
        raise EvidenceUnreadableError("gate summary has no boolean 'passed'")
    failures, errors = len(raw.get("failures") or []), len(raw.get("errors") or [])
    verdict = "PASSED" if raw["passed"] else "FAILED"
    when = f", run {raw['started_at']}" if raw.get("started_at") else ""
    return f"{verdict} ({failures} failed check(s), {errors} error(s){when})"


#: Tools whose raw output the report reads directly; the gate summary supplies the others' findings.
READ_DIRECTLY = ("checkov", "cdk-nag")


def gate_evidence(raw: Any) -> GateEvidence:
    """The verdict, the step errors and the findings of tools without their own reader here."""
    verdict = gate_verdict(raw)
    others = [
        GateFinding(
            tool=str(f.get("tool", "?")), check_id=str(f.get("check_id", "?")),
            check_name=str(f.get("check_name") or ""), resource=str(f.get("resource") or "?"),
            file=str(f.get("file") or "?"),
            citations=list(dict.fromkeys(
                c for hit in f.get("controls") or [] for c in hit.get("citations") or [])),
        )
        for f in raw.get("failures") or []
        if isinstance(f, dict) and f.get("tool") not in READ_DIRECTLY
    ]
    errors = [str(e) for e in raw.get("errors") or []]
    engineering = {
        (str(f.get("tool")), str(f.get("check_id"))): [str(c) for c in f["engineering"]]
        for f in raw.get("failures") or [] if isinstance(f, dict) and f.get("engineering")
    }
    return GateEvidence(verdict=verdict, errors=errors, other_findings=others, engineering=engineering)


def _interpret(found: EvidenceSet, rel: str, raw: Any) -> None:
    if rel == CHECKOV_JSON:
        found.checkov = (rel, parse_checkov(raw))
    elif rel in NAG_REPORTS:
        if found.nag is None:
            found.nag = (rel, parse_nag(raw))
    elif rel == GATE_SUMMARY:
        found.gate_summary = (rel, gate_evidence(raw))
    else:
        result = parse_ge(raw)
        if result is not None:
            found.ge.append((rel, result))
