"""The ingest endpoint of one region: a stand-in for API Gateway's Kinesis integration.

``POST /events`` with ``{"events": [VitalsEvent, ...]}``, SigV4-signed for ``execute-api`` like a call
to an IAM-authorized API (the sandbox checks the signature is there and scoped to this region's
API; it cannot check the key, moto accepts any credentials), validates every event and forwards the
batch to the region's stream with ``PutRecords`` (partition key = device id). It answers exactly the
shapes of ``contracts.ingest``, as API Gateway's mapping templates do: 200 with the indexes and error
codes of the records the stream rejected, so the producer retries exactly those; a whole-call failure
maps to 429 (throttled), 403 (access, KMS access), 400 (other refusals) or 502 (the stream's
failure), 503 when the stream does not answer, and nothing of it counts as stored. Error bodies
name the field and the rule, never the submitted value (it may be PHI-like).

Run: ``python -m drills.pipeline.ingest_api --config PATH`` (``IngestApiConfig`` JSON).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import TypeAdapter, ValidationError

from contracts import ingest
from contracts.ingest import BatchAccepted
from drills.pipeline.config import IngestApiConfig
from drills.pipeline.events import VitalsEvent
from drills.pipeline.process_startup import config_from_cli

log = logging.getLogger("htdr.ingest_api")

_EVENTS = TypeAdapter(list[VitalsEvent])
_SIGV4 = "AWS4-HMAC-SHA256 Credential="


class RejectedRequest(Exception):
    """A request the API refuses as a whole; ``status`` and a one-line reason go back to the client."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def parse_batch(body: bytes, max_batch: int) -> list[VitalsEvent]:
    """Validate a request body into events, or raise ``RejectedRequest`` naming what is wrong."""
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise RejectedRequest(HTTPStatus.BAD_REQUEST, "body is not UTF-8 JSON") from None
    except json.JSONDecodeError as err:
        raise RejectedRequest(HTTPStatus.BAD_REQUEST, f"body is not valid JSON ({err.msg})") from None
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise RejectedRequest(HTTPStatus.BAD_REQUEST, 'body must be an object {"events": [...]}')
    if set(document) != {"events"}:
        raise RejectedRequest(HTTPStatus.BAD_REQUEST, 'body must have exactly one key, "events"')
    raw_events = document["events"]
    if not raw_events:
        raise RejectedRequest(HTTPStatus.BAD_REQUEST, "events: must contain at least one event")
    if len(raw_events) > max_batch:
        raise RejectedRequest(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"events: {len(raw_events)} events in one batch, the limit is {max_batch}; split the batch",
        )
    try:
        return _EVENTS.validate_python(raw_events)
    except ValidationError as err:
        raise RejectedRequest(HTTPStatus.BAD_REQUEST, describe_validation_error(err)) from None


def describe_validation_error(err: ValidationError) -> str:
    """First error as ``events[i].field: rule`` — location and rule only, the input value is left out."""
    first = err.errors(include_input=False, include_url=False)[0]
    loc = list(first["loc"])
    where = f"events[{loc[0]}]" + "".join(f".{part}" for part in loc[1:])
    more = f" (and {err.error_count() - 1} more errors)" if err.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


class StreamForwarder:
    """Puts validated events on one Kinesis stream; the boto3 client is shared by all request threads."""

    def __init__(self, config: IngestApiConfig) -> None:
        self._stream = config.stream_name
        self._client = boto3.client(
            "kinesis",
            region_name=config.region,
            endpoint_url=config.endpoint_url,
            config=BotoConfig(
                connect_timeout=2, read_timeout=10, retries={"max_attempts": 1},
                max_pool_connections=32,
            ),
        )

    def forward(self, events: list[VitalsEvent]) -> BatchAccepted:
        """PutRecords; raises ``RejectedRequest`` when the call as a whole failed (nothing stored)."""
        records = [{"Data": e.model_dump_json().encode(), "PartitionKey": e.device_id} for e in events]
        try:
            response = self._client.put_records(StreamName=self._stream, Records=records)  # type: ignore[arg-type]
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", "Unknown"))
            kinesis_status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
            log.warning("stream %s refused the batch: %s", self._stream, code)
            status = HTTPStatus(ingest.status_for_stream_error(code, kinesis_status))
            raise RejectedRequest(status, f"stream {self._stream} refused the batch ({code}); "
                                  + ("retry later" if ingest.retryable(status) else "nothing was stored")
                                  ) from None
        except BotoCoreError as err:
            log.warning("stream %s unavailable: %s", self._stream, type(err).__name__)
            raise RejectedRequest(
                HTTPStatus(ingest.STATUS_UNREACHABLE), f"stream {self._stream} is unavailable; retry later"
            ) from None
        return ingest.batch_accepted([rec.get("ErrorCode") for rec in response["Records"]])


def make_handler(config: IngestApiConfig, forwarder: StreamForwarder) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to this region's config and stream."""

    class IngestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one client connection carries many batches
        _body_read = False
        server_version = "htdr-ingest"

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/health":
                self._reply(HTTPStatus.OK, {"status": "ok", "region": config.region})
            else:
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"no resource {self.path}; use /events"})

        def do_POST(self) -> None:
            self._body_read = False  # one handler serves every request of a keep-alive connection
            if self.path.rstrip("/") != ingest.PATH:
                self._discard_body()
                self._reply(HTTPStatus.NOT_FOUND,
                            {ingest.ERROR: f"no resource {self.path}; use {ingest.PATH}"})
                return
            try:
                self._check_signature()
                body = self._read_body()
                accepted = forwarder.forward(parse_batch(body, config.max_batch))
            except RejectedRequest as rejected:
                self._discard_body()
                self._reply(rejected.status, {ingest.ERROR: rejected.reason})
                return
            self._reply(HTTPStatus.OK, dict(accepted))

        def _check_signature(self) -> None:
            """API Gateway's IAM authorization refuses unsigned calls; so does the stand-in."""
            authorization = self.headers.get("Authorization", "")
            scope = f"/{config.region}/{ingest.SIGNING_SERVICE}/aws4_request"
            if not (authorization.startswith(_SIGV4) and scope in authorization
                    and self.headers.get("X-Amz-Date")):
                raise RejectedRequest(
                    HTTPStatus.FORBIDDEN,
                    f"request is not SigV4-signed for {ingest.SIGNING_SERVICE} in {config.region}; "
                    "sign it with the caller's AWS credentials",
                )

        def _read_body(self) -> bytes:
            length_header = self.headers.get("Content-Length")
            if length_header is None or not length_header.isdigit():
                self.close_connection = True
                raise RejectedRequest(HTTPStatus.LENGTH_REQUIRED, "Content-Length header is required")
            length = int(length_header)
            if length > ingest.MAX_BODY_BYTES:
                self.close_connection = True  # the unread body would corrupt the next request
                raise RejectedRequest(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    f"body of {length} bytes exceeds {ingest.MAX_BODY_BYTES}; send smaller batches",
                )
            self._body_read = True
            return self.rfile.read(length)

        def _discard_body(self) -> None:
            """Read an unread body so the keep-alive connection stays usable (or close it)."""
            if self._body_read:
                return
            self._body_read = True
            length = self.headers.get("Content-Length", "0")
            if length.isdigit() and int(length) <= ingest.MAX_BODY_BYTES:
                self.rfile.read(int(length))
            else:
                self.close_connection = True

        def _reply(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Silence per-request access lines: at 20k events/s they would drown the useful logs."""

    return IngestHandler


class IngestServer(ThreadingHTTPServer):
    """Thread-per-connection HTTP server that keeps a handle on its stream forwarder."""

    daemon_threads = True

    def __init__(self, config: IngestApiConfig) -> None:
        self.forwarder = StreamForwarder(config)
        super().__init__((config.host, config.port), make_handler(config, self.forwarder))


def build_server(config: IngestApiConfig) -> IngestServer:
    """The HTTP server for ``config`` (bound, not yet serving); tests run it in a thread."""
    return IngestServer(config)


def main(argv: list[str] | None = None) -> int:
    config = config_from_cli(IngestApiConfig, "drills.pipeline.ingest_api", __doc__, argv)
    try:
        server = build_server(config)
    except OSError as err:
        raise SystemExit(f"ingest API cannot listen on {config.host}:{config.port}: {err.strerror}") from None

    def stop(_signum: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("ingest API for %s listening on http://%s:%d/ -> stream %s",
             config.region, config.host, config.port, config.stream_name)
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    log.info("ingest API for %s stopped", config.region)
    return 0


if __name__ == "__main__":
    sys.exit(main())
