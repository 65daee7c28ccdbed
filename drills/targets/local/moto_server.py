"""One region's AWS API endpoint: moto's server, started after :mod:`kinesis_patch` and
:mod:`kms_digest_patch` are applied.

Run as ``python -m drills.targets.local.moto_server --port P --state-dir D`` (the state dir only marks
the process as this sandbox's, so ``down`` can find it).
"""

from __future__ import annotations

import argparse

from drills.targets.local import kinesis_patch, kms_digest_patch


def main(argv: list[str] | None = None) -> None:
    """Patch moto, then hand over to its own server entry point."""
    parser = argparse.ArgumentParser(description="moto server with the Kinesis put and KMS digest fixes")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state-dir", required=True, help="marks the process as this sandbox's")
    args = parser.parse_args(argv)
    kinesis_patch.apply()
    kms_digest_patch.apply()
    from moto import server

    server.main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    main()
