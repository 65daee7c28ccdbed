"""The gate's Dockerfile step: hadolint and checkov's Dockerfile checks on every Dockerfile of the tree,
and "not evaluated" — never a pass — when there is none."""

from __future__ import annotations

from pathlib import Path

from compliance.controls.catalog import load_catalog
from compliance.dockerfile_findings import find_dockerfiles
from compliance.gate import GateConfig, _dockerfile_step

UNPINNED = 'FROM python:3.11-slim\nRUN apt-get update && apt-get install -y curl\nCMD ["python"]\n'


def test_dockerfiles_are_found_outside_tool_environments(tmp_path: Path) -> None:
    for rel in (
        "Dockerfile",
        "drills/pipeline/processor.Dockerfile",
        ".venv/lib/Dockerfile",
        "node_modules/x/Dockerfile",
        "docs/Dockerfile.dev",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(UNPINNED)
    found = [p.relative_to(tmp_path).as_posix() for p in find_dockerfiles(tmp_path)]
    assert found == ["Dockerfile", "docs/Dockerfile.dev", "drills/pipeline/processor.Dockerfile"]


def test_no_dockerfile_is_not_evaluated(tmp_path: Path) -> None:
    result = _dockerfile_step(GateConfig(out_dir=tmp_path / "out", root=tmp_path), load_catalog())
    assert {(s.tool, s.status) for s in result.statuses} == {
        ("hadolint", "not evaluated"),
        ("checkov-dockerfile", "not evaluated"),
    }
    assert result.failures == [] and result.errors == []


def test_a_sloppy_dockerfile_fails_both_tools_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(UNPINNED)
    result = _dockerfile_step(GateConfig(out_dir=tmp_path / "out", root=tmp_path), load_catalog())
    assert {(s.tool, s.status) for s in result.statuses} == {
        ("hadolint", "evaluated"),
        ("checkov-dockerfile", "evaluated"),
    }
    by_tool = {(f.tool, f.check_id): f for f in result.failures}
    apt_pin = by_tool[("hadolint", "DL3008")]  # apt-get install without pinned versions
    assert apt_pin.resource == "Dockerfile" and apt_pin.line == 2
    assert apt_pin.engineering == ["HT-IMAGE-HARDENING"] and apt_pin.citations == []
    healthcheck = by_tool[("checkov", "CKV_DOCKER_2")]  # no HEALTHCHECK
    assert healthcheck.resource == "Dockerfile" and healthcheck.engineering == ["HT-IMAGE-HARDENING"]
