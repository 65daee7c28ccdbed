"""The ingest API's contract: one request and response shape for API Gateway and the sandbox API.

``POST /events`` with ``{"events": [event, ...]}`` (at most ``MAX_BATCH``). The API forwards the batch
with Kinesis ``PutRecords`` and answers:
- 200 ``{"accepted": n, "failed": [i, ...], "errorCodes": ["...", ...]}``: the batch reached the stream;
  ``failed`` lists the indexes PutRecords rejected (``errorCodes`` in the same order); the producer
  retries exactly those and records as acknowledged only the others;
- 4xx ``{"error": "..."}``: the request (or the stream's answer to it) was refused: 400 invalid body
  or refused by the stream, 413 too large, 429 throttled (retry later), 403 unsigned or not allowed;
  the producer does not acknowledge anything;
- 5xx ``{"error": "..."}``: 502 the stream failed, 503 it did not answer; nothing acknowledged, retry
  later.
API Gateway's mapping templates (``cdk_app``) and the sandbox ingest API (``drills.pipeline``) both
produce exactly these keys.
"""

from __future__ import annotations

from typing import TypedDict

PATH = "/events"
#: Kinesis PutRecords takes at most 500 records a request
#: (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html).
MAX_BATCH = 500
#: The largest request body the API admits (WAF's size rule and the sandbox API use it): a full
#: batch of ``MAX_BATCH`` schema-valid events serialized by ``json.dumps`` is at most 114,012 bytes
#: (226 bytes an event at the widest values the schema allows; the producer's own batches measure
#: ~97-99 KB), so 128 KiB admits every valid batch with room for the envelope.
MAX_BODY_BYTES = 128 * 1024
#: Requests are signed with SigV4 for API Gateway's IAM authorization, as this service.
SIGNING_SERVICE = "execute-api"

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


#: What the API answers when Kinesis refuses the whole PutRecords call, by its error type
#: (``__type``) and HTTP status, identically in API Gateway's mapping templates and the sandbox API:
#: a 4xx is 429 when the stream throttles (retry later), 403 when access or the KMS key is denied,
#: else 400; a 5xx is 502 (the stream failed: retry later). No answer at all is 503. Nothing of a
#: refused call is stored. https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
THROTTLING_TYPES = ("ProvisionedThroughputExceededException", "KMSThrottlingException",
                    "LimitExceededException", "ThrottlingException")
ACCESS_DENIED_TYPES = ("AccessDeniedException", "KMSAccessDeniedException")
STATUS_INVALID, STATUS_FORBIDDEN, STATUS_THROTTLED = 400, 403, 429
STATUS_STREAM_FAILED, STATUS_UNREACHABLE = 502, 503


def status_for_stream_error(error_type: str, kinesis_status: int) -> int:
    """The API's status for a PutRecords call Kinesis refused with ``error_type`` / ``kinesis_status``."""
    if kinesis_status >= 500:
        return STATUS_STREAM_FAILED
    if error_type in THROTTLING_TYPES:
        return STATUS_THROTTLED
    if error_type in ACCESS_DENIED_TYPES:
        return STATUS_FORBIDDEN
    return STATUS_INVALID


def retryable(status: int) -> bool:
    """Whether a producer should send the same batch again: throttled, or the stream's failure."""
    return status == STATUS_THROTTLED or status >= 500


def parse_batch_accepted(document: object, sent: int) -> BatchAccepted:
    """A 200 body checked against the contract for a batch of ``sent`` events; ``ValueError`` when it
    is not one (then nothing in the batch may be counted as stored)."""
    if not isinstance(document, dict) or set(document) != {ACCEPTED, FAILED, ERROR_CODES}:
        raise ValueError(f"a 200 answer must be exactly {{{ACCEPTED}, {FAILED}, {ERROR_CODES}}}")
    accepted, failed, codes = document[ACCEPTED], document[FAILED], document[ERROR_CODES]
    if not (isinstance(failed, list) and isinstance(codes, list) and len(codes) == len(failed)
            and all(isinstance(i, int) and 0 <= i < sent for i in failed) and len(set(failed)) == len(failed)
            and isinstance(accepted, int) and accepted == sent - len(failed)):
        raise ValueError(f"the answer does not account for the {sent} events sent")
    return BatchAccepted(accepted=accepted, failed=failed, errorCodes=[str(c) for c in codes])


def batch_accepted(error_codes: list[str | None]) -> BatchAccepted:
    """The 200 body from PutRecords' per-record results (``None`` where the record was stored)."""
    failed = [i for i, code in enumerate(error_codes) if code]
    return BatchAccepted(accepted=len(error_codes) - len(failed), failed=failed,
                         errorCodes=[str(error_codes[i]) for i in failed])
