"""Run checkov's real CloudFormation Runner in checkov's own environment and print JSON.

Executed with ``.tools/checkov/bin/python`` (the main venv has no checkov, it pins an old boto3), so it
imports nothing from the project. Two commands:

* ``scan --checks ID[,ID] --external-checks-dir DIR FILE...`` → ``{"passed": [[check, file, resource]],
  "failed": [...], "skipped": [...], "parsing_errors": [...]}``
* ``ids --external-checks-dir DIR`` → ``{"CKV_...": "check name", ...}`` for every CloudFormation check
  (built-in resource checks, built-in graph checks and the external ones).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any


def _scan(files: list[str], checks: list[str], external_dirs: list[str]) -> dict[str, Any]:
    """Scan ``files`` with only ``checks`` and return which (check, file, resource) passed or failed."""
    from checkov.cloudformation.runner import Runner
    from checkov.runner_filter import RunnerFilter

    runner_filter = RunnerFilter(framework=["cloudformation"], checks=checks, download_external_modules=False)
    reports = Runner().run(
        root_folder=None, files=files, external_checks_dir=external_dirs, runner_filter=runner_filter
    )
    report = reports[0] if isinstance(reports, list) else reports

    def rows(records: list[Any]) -> list[list[str]]:
        return sorted([r.check_id, os.path.basename(r.file_abs_path), r.resource] for r in records)

    return {
        "passed": rows(report.passed_checks),
        "failed": rows(report.failed_checks),
        "skipped": rows(report.skipped_checks),
        "parsing_errors": sorted(report.parsing_errors),
    }


def _ids(external_dirs: list[str]) -> dict[str, str]:
    """Every CloudFormation check id checkov knows, with its name."""
    from checkov.cloudformation.checks.resource.registry import cfn_registry
    from checkov.common.checks_infra.registry import get_graph_checks_registry

    graph_registry = get_graph_checks_registry("cloudformation")
    graph_registry.load_checks()
    for directory in external_dirs:
        cfn_registry.load_external_checks(directory)
        graph_registry.load_external_checks(directory)
    found = {check.id: check.name for _entity, check in cfn_registry.all_checks()}
    found.update({check.id: check.name for check in graph_registry.checks})
    return found


def main(argv: list[str]) -> int:
    """Parse the command line, run, print JSON on stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["scan", "ids"])
    parser.add_argument("--checks", default="")
    parser.add_argument("--external-checks-dir", action="append", default=[])
    parser.add_argument("files", nargs="*")
    args = parser.parse_intermixed_args(argv)
    logging.disable(logging.WARNING)
    if args.command == "ids":
        result: Any = _ids(args.external_checks_dir)
    else:
        result = _scan(args.files, [c for c in args.checks.split(",") if c], args.external_checks_dir)
    json.dump(result, sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
