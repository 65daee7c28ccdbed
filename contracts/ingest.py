"""The ingest API's contract: one request and response shape for API Gateway and the sandbox API.

``POST /events`` with ``{"events": [event, ...]}`` (at most ``MAX_BATCH``). The API forwards the batch
with Kinesis ``PutRecords`` and answers:
- 200 ``{"accepted": n, "failed": [i, ...], "errorCodes": ["...", ...]}``: the batch reached the stream;
  ``failed`` lists the indexes PutRecords rejected (``errorCodes`` in the same order); the producer
  retries exactly those and records as acknowledged only the others;
- 4xx ``{"error": "..."}``: the request (or the stream's answer to it) was refused: 400 invalid body,
  413 too large, 429 throttled, 403 not allowed; the producer does not acknowledge anything;
- 5xx ``{"error": "..."}``: the stream could not be reached; nothing acknowledged, retry later.
API Gateway's mapping templates (``cdk_app``) and the sandbox ingest API (``drills.pipeline``) both
produce exactly these keys.
"""

from __future__ import annotations

from typing import TypedDict

PATH = "/events"
#: Kinesis PutRecords takes at most 500 records a request.
MAX_BATCH = 500

EVENTS = "events"
ACCEPTED = "accepted"
FAILED = "failed"
ERROR_CODES = "errorCodes"
ERROR = "error"


class BatchAccepted(TypedDict):
    """The 200 body: counts and the indexes the stream rejected, with their Kinesis error codes."""

    accepted: int
    failed: list[int]
    errorCodes: list[str]


class RequestRefused(TypedDict):
    """A 4xx/5xx body: one line saying what was refused and what to do; never the submitted values."""

    error: str


def batch_accepted(error_codes: list[str | None]) -> BatchAccepted:
    """The 200 body from PutRecords' per-record results (``None`` where the record was stored)."""
    failed = [i for i, code in enumerate(error_codes) if code]
    return BatchAccepted(accepted=len(error_codes) - len(failed), failed=failed,
                         errorCodes=[str(error_codes[i]) for i in failed])
