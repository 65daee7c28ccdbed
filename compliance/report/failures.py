"""The report's first section: every failed check, the resources it failed on, the citation, the fix.

Read from the tools' own output (checkov's JSON names file and resource; cdk-nag's report names the
construct path, whose first segment is the stack), from the gate summary for the gate's step errors
and the findings of tools without a reader here (cfn-lint), and from the drill journals and Great
Expectations results. A check is grouped once with all its resources, so one rule failing on forty
resources is one row naming forty resources, not forty rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from compliance.controls.catalog import Catalog, Tool
from compliance.report.checkov_results import CheckovFailure
from compliance.report.control_matrix import EVIDENCE_PREFIX
from compliance.report.evidence_set import EvidenceSet
from compliance.report.ge_results import latest_per_suite
from compliance.report.models import FailedResource, FailureGroup, HistoryRow
from compliance.report.nag_results import NagResults
from contracts.journal import DrillJournal

CATALOG = "control catalog"
_NAG_CONTROL_IDS = "(Control IDs:"
_NAG_PROBLEM_END = " - (Control IDs"
#: Where a deliberate exception to a cdk-nag rule is recorded (with its reason) in this project.
NAG_ACKNOWLEDGEMENTS = "cdk_app/nag_acknowledgements.py"


def failure_groups(catalog: Catalog, evidence: EvidenceSet) -> list[FailureGroup]:
    """Every failed check with its resources; static checks first, then drills, then data checks."""
    groups: list[FailureGroup] = []
    if evidence.gate_summary is not None:
        groups.extend(_gate_errors(evidence))
    engineering = evidence.gate_summary[1].engineering if evidence.gate_summary else {}
    if evidence.checkov is not None:
        groups.extend(_checkov(catalog, evidence.checkov[0], evidence.checkov[1].failures, engineering))
    if evidence.nag is not None:
        groups.extend(_nag(catalog, evidence.nag[0], evidence.nag[1]))
    if evidence.gate_summary is not None:
        groups.extend(_other_tools(evidence))
    if evidence.journals:
        groups.extend(_latest_drill(catalog, *evidence.journals[-1]))
    groups.extend(_ge(catalog, evidence))
    return groups


def failed_drills(history: Iterable[HistoryRow]) -> list[HistoryRow]:
    """Every drill that did not pass, newest first: an auditor needs the failed ones as well."""
    return sorted((h for h in history if h.status != "passed"), key=lambda h: h.started_at, reverse=True)


def _citations(catalog: Catalog, check_id: str, tool: Tool) -> list[str]:
    return [c.id for c in catalog.citations_for(check_id, tool)]


def _checkov(catalog: Catalog, rel: str, failures: list[CheckovFailure],
             engineering: dict[tuple[str, str], list[str]]) -> list[FailureGroup]:
    by_check: dict[str, list[CheckovFailure]] = {}
    for failure in failures:
        by_check.setdefault(failure.check_id, []).append(failure)
    groups = []
    for check_id, found in sorted(by_check.items()):
        first = found[0]
        citations = _citations(catalog, check_id, "checkov")
        keys = sorted({k for f in found for k in f.evaluated_keys})
        fix = first.guideline or f"Make this hold: {first.check_name}"
        if keys and not first.guideline:
            fix += f" (property {', '.join(keys)})"
        groups.append(FailureGroup(
            tool="checkov", check_id=check_id, check_name=first.check_name, citations=citations,
            citation_source=_source(citations, engineering.get(("checkov", check_id))),
            fix=fix,
            resources=_unique(_in_file(f.resource, f.file) for f in found),
            evidence=[EVIDENCE_PREFIX + rel],
        ))
    return groups


def _nag(catalog: Catalog, rel: str, nag: NagResults) -> list[FailureGroup]:
    groups = []
    for rule, paths in sorted(nag.violations.items()):
        base = rule.split("[", 1)[0]
        description = nag.descriptions.get(rule, "")
        problem = description.split(_NAG_PROBLEM_END, 1)[0].strip() or base
        citations = _citations(catalog, base, "cdk-nag")
        source = CATALOG
        if not citations:
            citations = _nag_control_ids(description)
            source = "cdk-nag rule metadata (not in the control catalog)" if citations else "none known"
        groups.append(FailureGroup(
            tool="cdk-nag", check_id=rule, check_name=problem, citations=citations, citation_source=source,
            fix=f"Change the construct so this no longer holds, or acknowledge it with a reason in "
                f"{NAG_ACKNOWLEDGEMENTS}.",
            resources=_unique(_construct(path) for path in paths),
            evidence=[EVIDENCE_PREFIX + rel],
        ))
    return groups


def _in_file(resource: str, file: str) -> FailedResource:
    """A template resource; the template by its file name (its folder is the scanner's, not the app's)."""
    return FailedResource(resource=resource, template=PurePath(file).name)


def _source(citations: list[str], engineering: list[str] | None) -> str:
    """Where the citations come from; a check of a non-HIPAA control says so instead of citing one."""
    if citations:
        return CATALOG
    if engineering:
        return f"no HIPAA citation: engineering control {', '.join(engineering)}"
    return "not in the control catalog"


def _nag_control_ids(description: str) -> list[str]:
    """The HIPAA ids a cdk-nag HIPAA rule carries: ``... - (Control IDs: 164.308(a)(1), 164.312(b)).``"""
    _before, found, after = description.partition(_NAG_CONTROL_IDS)
    if not found:
        return []
    return [c.strip() for c in after.rstrip(" .").removesuffix(")").split(",") if c.strip()]


def _construct(path: str) -> FailedResource:
    """``Stack/Construct/Resource`` → the construct path inside the stack, and the stack."""
    stack, sep, inner = path.partition("/")
    return FailedResource(resource=inner if sep else path, template=f"stack {stack}" if sep else "?")


def _gate_errors(evidence: EvidenceSet) -> list[FailureGroup]:
    assert evidence.gate_summary is not None
    rel, gate = evidence.gate_summary
    return [
        FailureGroup(
            tool="gate", check_id="step error", check_name=error, citations=[],
            citation_source="a gate step that did not complete leaves every control it feeds unproven",
            fix="Fix the cause named here and run the gate again (htdr gate run).",
            resources=[FailedResource(resource="-", template="-")], evidence=[EVIDENCE_PREFIX + rel],
        )
        for error in gate.errors
    ]


def _other_tools(evidence: EvidenceSet) -> list[FailureGroup]:
    assert evidence.gate_summary is not None
    rel, gate = evidence.gate_summary
    by_check: dict[tuple[str, str], list[FailedResource]] = {}
    first: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for f in gate.other_findings:
        key = (f.tool, f.check_id)
        by_check.setdefault(key, []).append(_in_file(f.resource, f.file))
        first.setdefault(key, (f.check_name, f.citations))
    return [
        FailureGroup(
            tool=tool, check_id=check_id, check_name=first[(tool, check_id)][0],
            citations=first[(tool, check_id)][1],
            citation_source=_source(first[(tool, check_id)][1], gate.engineering.get((tool, check_id))),
            fix=f"Make this hold: {first[(tool, check_id)][0] or check_id}",
            resources=_unique(resources), evidence=[EVIDENCE_PREFIX + rel],
        )
        for (tool, check_id), resources in sorted(by_check.items())
    ]


def _latest_drill(catalog: Catalog, rel: str, journal: DrillJournal) -> list[FailureGroup]:
    """The latest drill's failed objectives and integrity checks (they decide the drill controls)."""
    where = FailedResource(resource=f"{journal.scenario} drill {journal.run_id}", template=rel)
    groups = []
    for o in journal.objectives:
        if not o.passed:
            shown = "not measured" if o.observed is None else f"{o.observed:g} {o.unit}"
            what = f"observed {shown}, objective {o.threshold:g} {o.unit}"
            groups.append(_drill_group(catalog, o.name, what, o.note, where, rel))
    for r in journal.integrity:
        if not r.passed:
            groups.append(_drill_group(catalog, r.name, r.summary, "", where, rel))
    return groups


def _drill_group(catalog: Catalog, name: str, what: str, note: str, where: FailedResource,
                 rel: str) -> FailureGroup:
    citations = _citations(catalog, name, "drill")
    return FailureGroup(
        tool="drill", check_id=name, check_name=what, citations=citations,
        citation_source=_source(citations, None),
        fix=(f"{note}. " if note else "") + "Read the journal's timeline and notes, fix the cause, and "
            "run the drill again.",
        resources=[where], evidence=[EVIDENCE_PREFIX + rel],
    )


def _ge(catalog: Catalog, evidence: EvidenceSet) -> list[FailureGroup]:
    groups = []
    for rel, result in latest_per_suite(evidence.ge):
        if result.success:
            continue
        failing = sorted(t for t, (_ok, bad) in result.by_type.items() if bad)
        citations = list(dict.fromkeys(
            c for t in failing for c in _citations(catalog, t, "great_expectations")))
        groups.append(FailureGroup(
            tool="great_expectations", check_id=result.suite,
            check_name=f"{result.evaluated - result.successful} of {result.evaluated} expectations not met"
                       + (f" ({', '.join(failing)})" if failing else ""),
            citations=citations, citation_source=_source(citations, None),
            fix="Open the suite's validation result (and Data Docs) for the failing expectations and the "
                "rows they name; fix the writer that produced them.",
            resources=[FailedResource(resource=f"suite {result.suite}", template=rel)],
            evidence=[EVIDENCE_PREFIX + rel],
        ))
    return groups


def _unique(resources: Iterable[FailedResource]) -> list[FailedResource]:
    return sorted(set(resources), key=lambda r: (r.template, r.resource))
