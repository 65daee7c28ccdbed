"""The processor image's Dockerfile: hadolint and checkov's Dockerfile checks clean, base pinned by
digest, non-root, and only the processor's runtime dependencies, hash-locked."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from contracts import processor_environment as penv

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
TOOLS = ROOT / ".tools" / "bin"
REQUIREMENTS = ROOT / "drills" / "pipeline" / "requirements.txt"
#: What the processor's modules import from outside the standard library and the project.
PROCESSOR_MODULES = ("processor", "config", "metrics", "sessions", "shard_leases", "store_writer",
                     "stream_reader", "events", "schema")
#: Distribution names of the top-level modules the processor imports.
DISTRIBUTIONS = {"boto3": "boto3", "botocore": "botocore", "psycopg": "psycopg", "pydantic": "pydantic",
                 "redis": "redis"}


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_hadolint_finds_nothing() -> None:
    done = subprocess.run([str(TOOLS / "hadolint"), "--no-color", str(DOCKERFILE)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_checkov_dockerfile_checks_pass() -> None:
    done = subprocess.run(
        [str(TOOLS / "checkov"), "-f", str(DOCKERFILE), "--framework", "dockerfile", "--skip-download",
         "--quiet", "-o", "json"],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(done.stdout)
    failed = [(c["check_id"], c["check_name"]) for c in report["results"]["failed_checks"]]
    assert report["summary"]["passed"] > 0 and not failed, failed


def test_every_stage_uses_a_base_pinned_by_digest_and_the_image_runs_as_non_root() -> None:
    steps = _instructions()
    bases = [args.split()[0] for keyword, args in steps if keyword == "FROM"]
    assert len(bases) >= 2  # multi-stage: build the environment, copy it into a clean runtime
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base), base
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    final_stage = steps[max(i for i, (k, _) in enumerate(steps) if k == "FROM"):]
    assert [k for k, _ in final_stage].index("USER") < [k for k, _ in final_stage].index("CMD")


def test_the_image_command_is_the_task_definition_command() -> None:
    cmd = [args for keyword, args in _instructions() if keyword == "CMD"]
    assert json.loads(cmd[-1]) == list(penv.COMMAND)


def test_requirements_are_hash_locked_and_only_what_the_processor_imports() -> None:
    imported: set[str] = set()
    for module in PROCESSOR_MODULES:
        tree = ast.parse((ROOT / "drills" / "pipeline" / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"drills", "contracts", "__future__"}
    assert third_party == set(DISTRIBUTIONS)
    text = REQUIREMENTS.read_text()
    pinned = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", text, flags=re.MULTILINE))
    assert {DISTRIBUTIONS[m] for m in third_party} <= set(pinned)
    entries = re.split(r"\n(?=[A-Za-z])", text.split("\n", 1)[1] if text.startswith("#") else text)
    for entry in (e for e in entries if "==" in e):
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
    # nothing of the drills/Dagster/CDK world rides along
    assert not {"dagster", "aws-cdk-lib", "moto", "great-expectations", "weasyprint"} & set(pinned)
