"""Kinesis put rate of a moto server as the stream grows: moto 5.2.5 as shipped vs the sandbox's
launcher (``drills.targets.local.moto_server``, which applies ``kinesis_patch``).

Prints records/s per 5,000 records of a 50,000-record single-shard stream, and the median of windows
2-4 ("early", after warm-up) against the last three ("late"): a flat ratio means puts stay O(1).
Run: ``.venv/bin/python -m benchmarks.sandbox_kinesis_put [--records 50000] [--port 16990]``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import boto3

from drills.targets.local.ports import is_listening, wait_until

BATCH = 500
WINDOW = 5_000


def _window_rates(port: int, records: int) -> list[float]:
    """records/s of each consecutive WINDOW of records put into one shard."""
    factory: Any = boto3.client
    kinesis = factory(
        "kinesis",
        region_name="ca-central-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    kinesis.create_stream(StreamName="bench", ShardCount=1)
    payload = [{"Data": b"x" * 200, "PartitionKey": "device"} for _ in range(BATCH)]
    rates, start = [], time.perf_counter()
    for i in range(1, records // BATCH + 1):
        kinesis.put_records(StreamName="bench", Records=payload)
        if i * BATCH % WINDOW == 0:
            now = time.perf_counter()
            rates.append(WINDOW / (now - start))
            start = now
    return rates


def _run(argv: list[str], port: int, records: int) -> list[float]:
    proc = subprocess.Popen(
        [sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_until(lambda: is_listening(port), 30, "moto server")
        return _window_rates(port, records)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--port", type=int, default=16990)
    args = parser.parse_args()
    marker = tempfile.gettempdir()
    variants = {
        "moto 5.2.5 as shipped": ["-m", "moto.server", "--port", str(args.port)],
        "sandbox launcher (patched)": [
            "-m",
            "drills.targets.local.moto_server",
            "--port",
            str(args.port),
            "--state-dir",
            marker,
        ],
    }
    print(f"Kinesis PutRecords into one shard, {args.records:,} records in batches of {BATCH}")
    for name, argv in variants.items():
        rates = _run(argv, args.port, args.records)
        early, late = statistics.median(rates[1:4]), statistics.median(rates[-3:])
        print(
            f"  {name:<28} early {early:7,.0f} rec/s   late {late:7,.0f} rec/s"
            f"   late/early {late / early:.2f}"
        )
        print("    per 5,000: " + " ".join(f"{r:,.0f}" for r in rates))


if __name__ == "__main__":
    main()
