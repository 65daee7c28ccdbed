"""The HIPAA compliance gate: synthesize (or take templates), then judge them with every tool.

One entry point for CI, the CodePipeline gate stage and people (``htdr gate run``). Steps, each timed:
cdk-nag's packs evaluated on the templates (``compliance.nag_templates``), checkov's CloudFormation
checks of the profile, cfn-lint under the app's lint policy, and hadolint + checkov's Dockerfile checks
on every Dockerfile of the repository. Every failed check is resolved through the control catalog to
the control and HIPAA citation it endangers (a cdk-nag rule the catalog does not map cites its own
control ids; engineering controls cite none). The gate fails on any failure, on a synth that did not
complete, and on a tool that could not run or evaluated nothing. Outputs (under ``reports/compliance/``):
checkov's JSON/JUnit, cdk-nag's validation report, cfn-lint's and hadolint's JSON, ``gate.sarif`` (all
tools) and ``gate-summary.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

from compliance.cfn_lint_findings import POLICY_FILE, CfnLintUnavailable, judge, load_policy, run_cfn_lint
from compliance.checkov.results import CheckovFinding, parse_checkov_json
from compliance.checkov.tool import CONFIG_FILE, PROJECT_ROOT, CheckovTool, CheckovUnavailable
from compliance.controls.catalog import Catalog, Tool, load_catalog
from compliance.dockerfile_findings import (
    DockerfileToolUnavailable,
    find_dockerfiles,
    run_checkov_dockerfile,
    run_hadolint,
)
from compliance.gate_sarif import build_sarif
from compliance.gate_summary import (
    ControlHit,
    GateFailure,
    GateSummary,
    StepTiming,
    ToolCounts,
    ToolStatus,
)
from compliance.nag_findings import REPORT_NAME, NagOutcome, parse_nag_report
from contracts.evidence_layout import REPORTS_DIR

SUMMARY_FILE = "gate-summary.json"
SARIF_FILE = "gate.sarif"
CHECKOV_DIR = "checkov"
NAG_DIR = "cdk-nag"
CFN_LINT_DIR = "cfn-lint"
DOCKERFILE_DIR = "dockerfile"
OUTPUT_DIRS = (CHECKOV_DIR, NAG_DIR, CFN_LINT_DIR, DOCKERFILE_DIR)
CHECKOV_FILES = ("results_json.json", "results_junitxml.xml")
EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
DEFAULT_REGIONS = ("ca-central-1", "ca-west-1")

Progress = Callable[[str], None]
Profile = Literal["production", "non-production"]
T = TypeVar("T")


class GateInputError(ValueError):
    """Bad input to the gate (missing templates, no suffix to synthesize); one line naming the fix."""


@dataclass(frozen=True)
class GateConfig:
    """Everything the gate needs, resolved once at the edge (the CLI)."""

    out_dir: Path
    templates_dir: Path | None = None  # scan this cloud assembly instead of synthesizing
    environment_suffix: str | None = None  # required to synthesize
    context: Mapping[str, str] = field(default_factory=dict)  # extra CDK context (-c key=value)
    production: bool = False  # the production profile (-c production=true): Retain is intended there
    synth_dir: Path = PROJECT_ROOT / REPORTS_DIR / "cdk.out"  # not ./cdk.out: shared with `cdk` users
    root: Path = PROJECT_ROOT
    python: Path = PROJECT_ROOT / ".venv/bin/python"
    checkov: CheckovTool = field(default_factory=CheckovTool.at)
    checkov_config: Path = CONFIG_FILE
    cfn_lint: Path = PROJECT_ROOT / ".tools/bin/cfn-lint"
    cfn_lint_policy: Path = POLICY_FILE
    hadolint: Path = PROJECT_ROOT / ".tools/bin/hadolint"
    catalog_path: Path | None = None

    @property
    def profile(self) -> Profile:
        return "production" if self.production else "non-production"


@dataclass(frozen=True)
class Templates:
    """The templates to judge, where they live, and the stack each deploys as."""

    root: Path
    files: list[Path]
    stacks: dict[Path, str]
    regions: dict[Path, list[str]]  # where each template deploys (cfn-lint checks it there)

    def by_region(self) -> dict[tuple[str, ...], list[Path]]:
        """Templates grouped by the regions they deploy to, for one cfn-lint run per group."""
        groups: dict[tuple[str, ...], list[Path]] = {}
        for file in self.files:
            groups.setdefault(tuple(self.regions[file.resolve()]), []).append(file)
        return groups

    def relative(self, file: str | Path | None) -> str | None:
        """A template's path relative to the scanned folder (as given when outside it)."""
        if not file:
            return None
        path = Path(file)
        resolved = (path if path.is_absolute() else Path.cwd() / path).resolve()
        if resolved.is_relative_to(self.root.resolve()):
            return resolved.relative_to(self.root.resolve()).as_posix()
        return str(file)

    def stack(self, file: str | Path | None) -> str | None:
        if not file:
            return None
        path = Path(file)
        return self.stacks.get((path if path.is_absolute() else Path.cwd() / path).resolve())


@dataclass
class StepResult:
    """What one tool step produced."""

    failures: list[GateFailure] = field(default_factory=list)
    statuses: list[ToolStatus] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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
        progress("synthesizing the CDK app")
        synth_error, seconds = _timed(lambda: _synthesize(config))
        timings.append(StepTiming(step="synth", seconds=seconds))
        errors.extend([synth_error] if synth_error else [])
        assembly = config.synth_dir
    else:
        timings.append(StepTiming(step="synth", seconds=None, note=f"not run: scanned existing {assembly}"))
    templates = _templates(assembly, config)

    steps: list[tuple[Literal["cdk-nag", "checkov", "cfn-lint", "dockerfile"], Callable[[], StepResult]]] = [
        ("cdk-nag", lambda: _nag_step(config, templates, catalog)),
        ("checkov", lambda: _checkov_step(config, templates, catalog)),
        ("cfn-lint", lambda: _cfn_lint_step(config, templates, catalog)),
        ("dockerfile", lambda: _dockerfile_step(config, catalog)),
    ]
    failures: list[GateFailure] = []
    statuses: list[ToolStatus] = []
    if not templates.files:
        errors.append(f"no *.template.json in {assembly}: nothing to scan")
        steps = steps[-1:]
    progress(f"{', '.join(name for name, _ in steps)} on {len(templates.files)} template(s), in parallel")
    with ThreadPoolExecutor(max_workers=len(steps)) as pool:  # every step is a subprocess
        running = [(name, pool.submit(_timed, step)) for name, step in steps]
        for name, future in running:
            result, seconds = future.result()
            timings.append(
                StepTiming(step=name, seconds=seconds, note="ran in parallel with the other tools")
            )
            failures += result.failures
            statuses += result.statuses
            errors += result.errors

    timings.append(StepTiming(step="total", seconds=round(time.monotonic() - start, 3)))
    exit_code = EXIT_ERROR if errors else (EXIT_FAILED if failures else EXIT_PASSED)
    counts = {status.tool: status.counts for status in statuses}
    sarif = build_sarif(failures, statuses, config.root, templates.root)
    (config.out_dir / SARIF_FILE).write_text(json.dumps(sarif, indent=1) + "\n", encoding="utf-8")
    summary = GateSummary(
        passed=exit_code == EXIT_PASSED,
        exit_code=exit_code,
        environment=config.environment_suffix,
        profile=config.profile,
        started_at=started_at,
        templates=[templates.relative(t) or str(t) for t in templates.files],
        timings=timings,
        checkov=counts.get("checkov"),
        cdk_nag=counts.get("cdk-nag"),
        cfn_lint=counts.get("cfn-lint"),
        tools=statuses,
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
        if not sorted(config.templates_dir.rglob("*.template.json")):
            raise GateInputError(
                f"--templates {config.templates_dir}: no *.template.json inside; run cdk synth first"
            )
    elif not config.environment_suffix:
        raise GateInputError("--environment-suffix is required to synthesize (or pass --templates DIR)")


def _reset_outputs(out_dir: Path) -> None:
    """Remove the previous run's files so no stale result can be mistaken for this run's."""
    for name in OUTPUT_DIRS:
        shutil.rmtree(out_dir / name, ignore_errors=True)
    for name in (SUMMARY_FILE, SARIF_FILE):
        (out_dir / name).unlink(missing_ok=True)
    (out_dir / CHECKOV_DIR).mkdir(parents=True)


def _timed(step: Callable[[], T]) -> tuple[T, float]:
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
        [str(config.python), "-m", "cdk_app"],
        cwd=config.root,
        env=env,
        capture_output=True,
        text=True,
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


def _templates(assembly: Path, config: GateConfig) -> Templates:
    """Every stack template of a cloud assembly (nested stage assemblies included), with stack names.

    Stack names and regions come from the assembly's ``manifest.json`` when there is one; otherwise a
    template is named after its file and linted in both of the app's regions (a resource type one of
    them lacks is then reported, which is the safe side).
    """
    files = sorted(assembly.rglob("*.template.json")) if assembly.is_dir() else []
    stacks: dict[Path, str] = {}
    regions: dict[Path, list[str]] = {}
    for manifest in sorted(assembly.rglob("manifest.json")) if assembly.is_dir() else []:
        artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts") or {}
        for artifact_id, artifact in artifacts.items():
            properties = artifact.get("properties") or {}
            if artifact.get("type") != "aws:cloudformation:stack" or "templateFile" not in properties:
                continue
            template = (manifest.parent / properties["templateFile"]).resolve()
            stacks[template] = str(properties.get("stackName") or artifact_id)
            region = str(artifact.get("environment", "")).rsplit("/", 1)[-1]
            if region and region != "unknown-region":
                regions[template] = [region]
    context = {**_cdk_json_context(config.root), **config.context}
    app_regions = [
        str(context.get(key, default))
        for key, default in (("primaryRegion", DEFAULT_REGIONS[0]), ("drRegion", DEFAULT_REGIONS[1]))
    ]
    for file in files:
        stacks.setdefault(file.resolve(), file.name.removesuffix(".template.json"))
        regions.setdefault(file.resolve(), app_regions)
    return Templates(root=assembly, files=files, stacks=stacks, regions=regions)


# --- catalog mapping ------------------------------------------------------------------------------


def _hits(catalog: Catalog, check_id: str, tool: Tool) -> list[ControlHit]:
    """The catalog controls (and their citations) a check evidences."""
    by_control: dict[str, ControlHit] = {}
    for citation, control in catalog.controls_for(check_id, tool):
        hit = by_control.setdefault(
            control.id, ControlHit(control_id=control.id, control_title=control.title, citations=[])
        )
        hit.citations.append(citation.id)
    return list(by_control.values())


def _engineering(catalog: Catalog, check_id: str, tool: Tool) -> list[str]:
    return [control.id for control in catalog.engineering_controls_for(check_id, tool)]


def _nag_rule(rule_name: str) -> str:
    """``AwsSolutions-IAM5[Action::*]`` is reported per finding; the catalog maps the rule."""
    return rule_name.split("[", 1)[0]


# --- cdk-nag --------------------------------------------------------------------------------------


def _nag_step(config: GateConfig, templates: Templates, catalog: Catalog) -> StepResult:
    """cdk-nag's packs on the given templates, in a subprocess of the project's Python."""
    result = StepResult()
    report = config.out_dir / NAG_DIR / REPORT_NAME
    command = [str(config.python), "-m", "compliance.nag_templates", "--out", str(report)]
    command += ["--production"] if config.production else []
    command += [str(t) for t in templates.files]
    completed = subprocess.run(command, cwd=config.root, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not report.is_file():
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        reason = f"cdk-nag could not evaluate the templates (exit {completed.returncode}): {last[:300]}"
        result.statuses.append(ToolStatus(tool="cdk-nag", status="not evaluated", reason=reason))
        result.errors.append(f"cdk-nag not evaluated: {reason}")
        return result
    nag = parse_nag_report(report)
    result.failures = _nag_failures(catalog, nag, templates)
    counts = ToolCounts(failed=len(nag.findings), acknowledged=nag.acknowledged)
    if nag.not_evaluated:
        names = ", ".join(f"{templates.relative(t)} ({why})" for t, why in nag.not_evaluated)
        result.errors.append(f"cdk-nag not evaluated on {names}")
        result.statuses.append(ToolStatus(tool="cdk-nag", status="error", reason=names, counts=counts))
    else:
        note = None
        if nag.without_paths:
            names = ", ".join(str(templates.relative(t)) for t in nag.without_paths)
            note = f"no construct paths for {names} (no <stack>.metadata.json): acknowledgements not applied"
        result.statuses.append(ToolStatus(tool="cdk-nag", status="evaluated", reason=note, counts=counts))
    return result


def _nag_failures(catalog: Catalog, nag: NagOutcome, templates: Templates) -> list[GateFailure]:
    return [
        GateFailure(
            tool="cdk-nag",
            check_id=f.rule_id,
            check_name=f.description.split(" - (", 1)[0],
            resource=f.construct,
            file=f.template,
            template=templates.relative(f.template),
            stack=templates.stack(f.template),
            logical_id=f.logical_id,
            line=_line_of(f.template, f.logical_id),
            controls=_hits(catalog, _nag_rule(f.rule_id), "cdk-nag"),
            rule_citations=f.rule_citations,
        )
        for f in nag.findings
    ]


def _line_of(template: str | None, logical_id: str | None) -> int | None:
    """The line where a resource's definition starts in a JSON template (for SARIF regions)."""
    if not template or not logical_id or not Path(template).is_file():
        return None
    needle = f'"{logical_id}": {{'
    for number, line in enumerate(Path(template).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip().startswith(needle):
            return number
    return None


# --- checkov --------------------------------------------------------------------------------------


def _checkov_step(config: GateConfig, templates: Templates, catalog: Catalog) -> StepResult:
    """checkov's CLI with the project config and the profile's checks, offline; JSON + JUnit."""
    result = StepResult()
    out = config.out_dir / CHECKOV_DIR
    checks = catalog.checks_for_profile("checkov", config.profile)
    command = [
        str(config.checkov.executable),
        "--config-file",
        str(config.checkov_config),
        "--skip-download",
        "--check",
        ",".join(c for c in checks if not c.endswith("*")),
    ]
    for template in templates.files:
        command += ["-f", str(template.resolve())]
    command += ["-o", "json", "-o", "junitxml", "--output-file-path", str(out.resolve())]
    try:
        completed = subprocess.run(command, cwd=config.root, capture_output=True, text=True, check=False)
    except OSError as exc:
        message = f"cannot start checkov at {config.checkov.executable}: {exc.strerror}"
        raise CheckovUnavailable(message) from None
    results = out / CHECKOV_FILES[0]
    if completed.returncode not in (0, 1) or not results.is_file():
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        reason = f"checkov did not complete (exit {completed.returncode}): {last[:300]}"
        result.statuses.append(ToolStatus(tool="checkov", status="error", reason=reason))
        result.errors.append(reason)
        return result
    outcome = parse_checkov_json(json.loads(results.read_text(encoding="utf-8")))
    result.failures = [_checkov_failure(catalog, f, templates) for f in outcome.findings]
    counts = ToolCounts(passed=outcome.passed, failed=outcome.failed, skipped=outcome.skipped)
    if outcome.parsing_errors:
        reason = f"checkov could not parse {len(outcome.parsing_errors)} template(s)"
        result.errors.append(reason)
        result.statuses.append(ToolStatus(tool="checkov", status="error", reason=reason, counts=counts))
    else:
        result.statuses.append(ToolStatus(tool="checkov", status="evaluated", counts=counts))
    return result


def _checkov_failure(catalog: Catalog, finding: CheckovFinding, templates: Templates | None) -> GateFailure:
    logical_id = finding.resource.split(".", 1)[1] if "." in finding.resource else None
    template = templates.relative(finding.file) if templates else None
    return GateFailure(
        tool="checkov",
        check_id=finding.check_id,
        check_name=finding.check_name,
        resource=finding.resource,
        file=finding.file,
        template=template,
        stack=templates.stack(finding.file) if templates else None,
        logical_id=logical_id if templates else None,
        line=finding.line,
        detail="; ".join(finding.details) or None,
        controls=_hits(catalog, finding.check_id, "checkov"),
        engineering=_engineering(catalog, finding.check_id, "checkov"),
    )


# --- cfn-lint -------------------------------------------------------------------------------------


def _cfn_lint_step(config: GateConfig, templates: Templates, catalog: Catalog) -> StepResult:
    """cfn-lint on the templates in their regions, judged by the app's lint policy."""
    result = StepResult()
    try:
        policy = load_policy(config.cfn_lint_policy)
        groups = sorted(templates.by_region().items())
        with ThreadPoolExecutor(max_workers=len(groups) or 1) as pool:  # one cfn-lint process per region
            runs = [
                pool.submit(
                    run_cfn_lint,
                    config.cfn_lint,
                    files,
                    regions,
                    config.out_dir / CFN_LINT_DIR / f"results-{number}-{'-'.join(regions)}.json",
                )
                for number, (regions, files) in enumerate(groups)
            ]
            raw = [match for run in runs for match in run.result()]
    except (CfnLintUnavailable, json.JSONDecodeError) as exc:
        result.statuses.append(ToolStatus(tool="cfn-lint", status="error", reason=str(exc)))
        result.errors.append(f"cfn-lint: {exc}")
        return result
    findings = judge(raw, policy)
    failing = [f for f in findings if f.fails]
    result.failures = [
        GateFailure(
            tool="cfn-lint",
            check_id=f.rule,
            check_name=f.description,
            resource=f.logical_id or "/".join(f.path) or "(template)",
            file=f.template,
            template=templates.relative(f.template),
            stack=templates.stack(f.template),
            logical_id=f.logical_id,
            line=f.line,
            detail=f.message + (f" (blocking: {f.reason})" if f.verdict == "blocking" else ""),
            controls=_hits(catalog, f.rule, "cfn-lint"),
            engineering=_engineering(catalog, f.rule, "cfn-lint"),
        )
        for f in failing
    ]
    acknowledged = sum(1 for f in findings if f.verdict == "acknowledged")
    note = None if config.cfn_lint_policy.is_file() else f"no policy file at {config.cfn_lint_policy}"
    counts = ToolCounts(failed=len(failing), acknowledged=acknowledged)
    result.statuses.append(ToolStatus(tool="cfn-lint", status="evaluated", reason=note, counts=counts))
    return result


# --- Dockerfiles ----------------------------------------------------------------------------------


def _dockerfile_step(config: GateConfig, catalog: Catalog) -> StepResult:
    """hadolint and checkov's Dockerfile checks on every Dockerfile of the repository."""
    result = StepResult()
    dockerfiles = find_dockerfiles(config.root)
    if not dockerfiles:
        reason = f"no Dockerfile in {config.root}"
        result.statuses += [
            ToolStatus(tool=tool, status="not evaluated", reason=reason)
            for tool in ("hadolint", "checkov-dockerfile")
        ]
        return result
    out = config.out_dir / DOCKERFILE_DIR
    try:
        hadolint = run_hadolint(config.hadolint, dockerfiles, out / "hadolint.json")
        outcome = run_checkov_dockerfile(config.checkov.executable, dockerfiles, out / "checkov")
    except DockerfileToolUnavailable as exc:
        result.statuses.append(ToolStatus(tool="hadolint", status="error", reason=str(exc)))
        result.errors.append(str(exc))
        return result
    failing = [f for f in hadolint if f.fails]
    result.failures += [
        GateFailure(
            tool="hadolint",
            check_id=f.code,
            check_name=f.message,
            resource=_repo_relative(config, f.file),
            file=f.file,
            line=f.line,
            detail=f"{f.level}: {f.message}",
            controls=_hits(catalog, f.code, "hadolint"),
            engineering=_engineering(catalog, f.code, "hadolint"),
        )
        for f in failing
    ]
    result.failures += [
        _checkov_failure(catalog, f, None).model_copy(update={"resource": _repo_relative(config, f.file)})
        for f in outcome.findings
    ]
    result.statuses += [
        ToolStatus(tool="hadolint", status="evaluated", counts=ToolCounts(failed=len(failing))),
        ToolStatus(
            tool="checkov-dockerfile",
            status="evaluated",
            counts=ToolCounts(passed=outcome.passed, failed=outcome.failed, skipped=outcome.skipped),
        ),
    ]
    return result


def _repo_relative(config: GateConfig, file: str) -> str:
    path = Path(file)
    resolved = (path if path.is_absolute() else config.root / path).resolve()
    return (
        resolved.relative_to(config.root.resolve()).as_posix()
        if resolved.is_relative_to(config.root)
        else file
    )


def _outputs(out_dir: Path) -> list[str]:
    """The evidence files this run wrote (the summary included), relative to the output folder."""
    written = {str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file()}
    return sorted(written | {SUMMARY_FILE})
