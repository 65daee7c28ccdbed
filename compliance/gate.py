"""The HIPAA compliance gate: synthesize, run cdk-nag (inside synth) and checkov, write evidence, judge.

One entry point for CI, the CodePipeline gate stage and people (``htdr gate run``). Every failed check
is resolved through the control catalog to the control and HIPAA citation it endangers; the gate fails
on any failure, on a synth that did not complete, or on a tool that could not run. Outputs (under
``reports/compliance/``): checkov's JSON/SARIF/JUnit, a copy of cdk-nag's validation report and
``gate-summary.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from compliance.checkov.results import CheckovOutcome, parse_checkov_json
from compliance.checkov.tool import CONFIG_FILE, PROJECT_ROOT, CheckovTool, CheckovUnavailable
from compliance.controls.catalog import Catalog, Tool, load_catalog
from compliance.gate_summary import ControlHit, GateFailure, GateSummary, StepTiming, ToolCounts
from compliance.nag_findings import NagOutcome, find_nag_report, parse_nag_report
from contracts.evidence_layout import REPORTS_DIR

SUMMARY_FILE = "gate-summary.json"
CHECKOV_DIR = "checkov"
NAG_DIR = "cdk-nag"
CHECKOV_FILES = ("results_json.json", "results_sarif.sarif", "results_junitxml.xml")
EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2

Progress = Callable[[str], None]


class GateInputError(ValueError):
    """Bad input to the gate (missing templates, no suffix to synthesize); one line naming the fix."""


@dataclass(frozen=True)
class GateConfig:
    """Everything the gate needs, resolved once at the edge (the CLI)."""

    out_dir: Path
    templates_dir: Path | None = None  # scan this cloud assembly instead of synthesizing
    environment_suffix: str | None = None  # required to synthesize
    context: Mapping[str, str] = field(default_factory=dict)  # extra CDK context (-c key=value)
    synth_dir: Path = PROJECT_ROOT / REPORTS_DIR / "cdk.out"  # not ./cdk.out: shared with `cdk` users
    root: Path = PROJECT_ROOT
    python: Path = PROJECT_ROOT / ".venv/bin/python"
    checkov: CheckovTool = field(default_factory=CheckovTool.at)
    checkov_config: Path = CONFIG_FILE
    catalog_path: Path | None = None


def _no_progress(_message: str) -> None:
    """Default progress sink: silent (the CLI passes a rich status)."""


def run_gate(config: GateConfig, progress: Progress = _no_progress) -> GateSummary:
    """Run every step, write the outputs and return the verdict (also written as gate-summary.json)."""
    started_at, start = datetime.now(UTC), time.monotonic()
    catalog = load_catalog(config.catalog_path)
    _validate(config)
    config.checkov.require()
    _reset_outputs(config.out_dir)
    errors: list[str] = []
    timings: list[StepTiming] = []

    assembly = config.templates_dir
    if assembly is None:
        progress("synthesizing the CDK app (cdk-nag runs inside synth)")
        synth_error, seconds = _timed(lambda: _synthesize(config))
        timings.append(StepTiming(step="synth", seconds=seconds))
        errors.extend([synth_error] if synth_error else [])
        assembly = config.synth_dir
    else:
        timings.append(StepTiming(step="synth", seconds=None, note=f"not run: scanned existing {assembly}"))

    templates = _templates(assembly)
    nag = _collect_nag(assembly, config.out_dir, errors)
    timings.append(StepTiming(step="cdk-nag", seconds=None, note="runs inside synth; timed with it"))

    checkov_outcome: CheckovOutcome | None = None
    if templates:
        progress(f"checkov on {len(templates)} template(s)")
        (checkov_outcome, checkov_error), seconds = _timed_pair(lambda: _run_checkov(config, templates))
        timings.append(StepTiming(step="checkov", seconds=seconds))
        errors.extend([checkov_error] if checkov_error else [])
    else:
        errors.append(f"no *.template.json in {assembly}: nothing to scan")
        timings.append(StepTiming(step="checkov", seconds=None, note="not run: no templates"))

    failures = _failures(catalog, checkov_outcome, nag)
    timings.append(StepTiming(step="total", seconds=round(time.monotonic() - start, 3)))
    exit_code = EXIT_ERROR if errors else (EXIT_FAILED if failures else EXIT_PASSED)
    summary = GateSummary(
        passed=exit_code == EXIT_PASSED,
        exit_code=exit_code,
        environment=config.environment_suffix,
        started_at=started_at,
        templates=[str(t.relative_to(assembly)) for t in templates],
        timings=timings,
        checkov=_checkov_counts(checkov_outcome),
        cdk_nag=ToolCounts(failed=len(nag.findings), acknowledged=nag.acknowledged) if nag else None,
        failures=failures,
        errors=errors,
        outputs=_outputs(config.out_dir),
    )
    (config.out_dir / SUMMARY_FILE).write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return summary


def _validate(config: GateConfig) -> None:
    """Refuse bad input before anything is written."""
    if config.templates_dir is not None:
        if not config.templates_dir.is_dir():
            raise GateInputError(f"--templates {config.templates_dir}: not a directory; pass a cdk.out dir")
        if not _templates(config.templates_dir):
            raise GateInputError(
                f"--templates {config.templates_dir}: no *.template.json inside; run cdk synth first"
            )
    elif not config.environment_suffix:
        raise GateInputError("--environment-suffix is required to synthesize (or pass --templates DIR)")


def _reset_outputs(out_dir: Path) -> None:
    """Remove the previous run's files so no stale result can be mistaken for this run's."""
    for name in (CHECKOV_DIR, NAG_DIR):
        shutil.rmtree(out_dir / name, ignore_errors=True)
    (out_dir / SUMMARY_FILE).unlink(missing_ok=True)
    (out_dir / CHECKOV_DIR).mkdir(parents=True)


def _timed(step: Callable[[], str | None]) -> tuple[str | None, float]:
    start = time.monotonic()
    result = step()
    return result, round(time.monotonic() - start, 3)


def _timed_pair(
    step: Callable[[], tuple[CheckovOutcome | None, str | None]],
) -> tuple[tuple[CheckovOutcome | None, str | None], float]:
    start = time.monotonic()
    result = step()
    return result, round(time.monotonic() - start, 3)


def _synthesize(config: GateConfig) -> str | None:
    """``python -m cdk_app`` with the context the CDK CLI would pass; an error line, or None."""
    context = {**_cdk_json_context(config.root), **config.context}
    context["environmentSuffix"] = str(config.environment_suffix)
    shutil.rmtree(config.synth_dir, ignore_errors=True)
    env = {**os.environ, "CDK_OUTDIR": str(config.synth_dir), "CDK_CONTEXT_JSON": json.dumps(context)}
    completed = subprocess.run(
        [str(config.python), "-m", "cdk_app"], cwd=config.root, env=env, capture_output=True, text=True,
        check=False,
    )
    if completed.returncode == 0:
        return None
    last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
    return f"synth failed (exit {completed.returncode}): {last[:300]}"


def _cdk_json_context(root: Path) -> dict[str, object]:
    """The ``context`` block of cdk.json (the CLI merges it; ``python -m`` does not on its own)."""
    cdk_json = root / "cdk.json"
    if not cdk_json.is_file():
        return {}
    context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    return dict(context) if isinstance(context, dict) else {}


def _templates(assembly: Path) -> list[Path]:
    """Every stack template of a cloud assembly, nested stage assemblies included."""
    return sorted(assembly.rglob("*.template.json")) if assembly.is_dir() else []


def _run_checkov(config: GateConfig, templates: Sequence[Path]) -> tuple[CheckovOutcome | None, str | None]:
    """checkov's CLI with the project config, offline, writing JSON/SARIF/JUnit; parse the JSON."""
    out = config.out_dir / CHECKOV_DIR
    command = [str(config.checkov.executable), "--config-file", str(config.checkov_config), "--skip-download"]
    for template in templates:
        command += ["-f", str(template.resolve())]
    command += ["-o", "json", "-o", "sarif", "-o", "junitxml", "--output-file-path", str(out.resolve())]
    try:
        completed = subprocess.run(command, cwd=config.root, capture_output=True, text=True, check=False)
    except OSError as exc:
        message = f"cannot start checkov at {config.checkov.executable}: {exc.strerror}"
        raise CheckovUnavailable(message) from None
    results = out / CHECKOV_FILES[0]
    if completed.returncode not in (0, 1) or not results.is_file():
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"checkov did not complete (exit {completed.returncode}): {last[:300]}"
    outcome = parse_checkov_json(json.loads(results.read_text(encoding="utf-8")))
    if outcome.parsing_errors:
        return outcome, f"checkov could not parse {len(outcome.parsing_errors)} template(s)"
    return outcome, None


def _collect_nag(assembly: Path, out_dir: Path, errors: list[str]) -> NagOutcome | None:
    """Copy and read cdk-nag's validation report; its absence is an error, not a pass."""
    report = find_nag_report(assembly)
    if report is None:
        errors.append(f"no cdk-nag validation report in {assembly}: cdk-nag did not run")
        return None
    (out_dir / NAG_DIR).mkdir(parents=True, exist_ok=True)
    copied = Path(shutil.copy2(report, out_dir / NAG_DIR / report.name))
    try:
        return parse_nag_report(copied)
    except (ValueError, KeyError) as exc:
        errors.append(f"cdk-nag report unreadable: {exc}")
        return None


def _hits(catalog: Catalog, check_id: str, tool: Tool) -> list[ControlHit]:
    """The catalog controls (and their citations) a check evidences."""
    by_control: dict[str, ControlHit] = {}
    for citation, control in catalog.controls_for(check_id, tool):
        hit = by_control.setdefault(
            control.id, ControlHit(control_id=control.id, control_title=control.title, citations=[])
        )
        hit.citations.append(citation.id)
    return list(by_control.values())


def _nag_rule(rule_name: str) -> str:
    """``AwsSolutions-IAM5[Action::*]`` is reported per finding; the catalog maps the rule."""
    return rule_name.split("[", 1)[0]


def _failures(catalog: Catalog, checkov: CheckovOutcome | None, nag: NagOutcome | None) -> list[GateFailure]:
    """Every failed check on every resource, mapped to controls and citations."""
    failures = [
        GateFailure(
            tool="checkov", check_id=f.check_id, check_name=f.check_name, resource=f.resource, file=f.file,
            controls=_hits(catalog, f.check_id, "checkov"),
        )
        for f in (checkov.findings if checkov else ())
    ]
    failures += [
        GateFailure(
            tool="cdk-nag", check_id=f.rule_id, check_name=f.description.split(" - (", 1)[0],
            resource=f.construct, controls=_hits(catalog, _nag_rule(f.rule_id), "cdk-nag"),
        )
        for f in (nag.findings if nag else ())
    ]
    return failures


def _checkov_counts(outcome: CheckovOutcome | None) -> ToolCounts | None:
    if outcome is None:
        return None
    return ToolCounts(passed=outcome.passed, failed=outcome.failed, skipped=outcome.skipped)


def _outputs(out_dir: Path) -> list[str]:
    """The evidence files this run wrote (the summary included), relative to the output folder."""
    written = {str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file()}
    return sorted(written | {SUMMARY_FILE})
