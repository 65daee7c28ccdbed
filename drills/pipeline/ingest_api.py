"""The ingest endpoint of one region: a stand-in for API Gateway's Kinesis integration.

``POST /events`` with ``{"events": [VitalsEvent, ...]}`` validates every event and forwards the batch
to the region's stream with ``PutRecords`` (partition key = device id). Per-record failures are
returned by index so the producer can retry exactly those events (never silently dropped). Error
bodies name the field and the rule, never the submitted value (it may be PHI-like).

Run: ``python -m drills.pipeline.ingest_api --config PATH`` (``IngestApiConfig`` JSON).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import TypeAdapter, ValidationError

from drills.pipeline.config import IngestApiConfig
from drills.pipeline.events import VitalsEvent
from drills.pipeline.process_startup import config_from_cli

log = logging.getLogger("htdr.ingest_api")

#: Kinesis caps a PutRecords request at 5 MiB; a larger body cannot be a valid batch.
MAX_BODY_BYTES = 5 * 1024 * 1024
_EVENTS = TypeAdapter(list[VitalsEvent])


class RejectedRequest(Exception):
    """A request the API refuses as a whole; ``status`` and a one-line reason go back to the client."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class BatchResult:
    accepted: int
    failed: list[int]


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

    def forward(self, events: list[VitalsEvent]) -> BatchResult:
        """PutRecords; raises ``RejectedRequest`` (503) when the stream cannot be reached at all."""
        records = [{"Data": e.model_dump_json().encode(), "PartitionKey": e.device_id} for e in events]
        try:
            response = self._client.put_records(StreamName=self._stream, Records=records)  # type: ignore[arg-type]
        except (BotoCoreError, ClientError) as err:
            log.warning("stream %s unavailable: %s", self._stream, type(err).__name__)
            raise RejectedRequest(
                HTTPStatus.SERVICE_UNAVAILABLE, f"stream {self._stream} is unavailable; retry later"
            ) from None
        failed = [i for i, rec in enumerate(response["Records"]) if rec.get("ErrorCode")]
        return BatchResult(accepted=len(events) - len(failed), failed=failed)


def make_handler(config: IngestApiConfig, forwarder: StreamForwarder) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to this region's config and stream."""

    class IngestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one client connection carries many batches
        server_version = "htdr-ingest"

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/health":
                self._reply(HTTPStatus.OK, {"status": "ok", "region": config.region})
            else:
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"no resource {self.path}; use /events"})

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/events":
                self._discard_body()
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"no resource {self.path}; use /events"})
                return
            try:
                body = self._read_body()
                result = forwarder.forward(parse_batch(body, config.max_batch))
            except RejectedRequest as rejected:
                self._reply(rejected.status, {"error": rejected.reason})
                return
            self._reply(HTTPStatus.OK, {"accepted": result.accepted, "failed": result.failed})

        def _read_body(self) -> bytes:
            length_header = self.headers.get("Content-Length")
            if length_header is None or not length_header.isdigit():
                self.close_connection = True
                raise RejectedRequest(HTTPStatus.LENGTH_REQUIRED, "Content-Length header is required")
            length = int(length_header)
            if length > MAX_BODY_BYTES:
                self.close_connection = True  # the unread body would corrupt the next request
                raise RejectedRequest(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    f"body of {length} bytes exceeds {MAX_BODY_BYTES}; send smaller batches",
                )
            return self.rfile.read(length)

        def _discard_body(self) -> None:
            length = self.headers.get("Content-Length", "0")
            if length.isdigit() and int(length) <= MAX_BODY_BYTES:
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
