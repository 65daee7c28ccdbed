"""The producer's side of the ingest API: where to post (the routing file) and how (keep-alive HTTP).

The routing file ``{"api_urls": [...], "regions": [...]?}`` is what a failover's DNS switch rewrites:
one URL is single-write, two are dual-write. ``regions`` (optional, same length) labels the ledger
rows and is the SigV4 signing region of a URL whose host does not name one; without it the URL's
host:port is the label.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.ingest import parse_batch_accepted, retryable
from drills.pipeline.request_signing import RequestSigner


class RoutingError(ValueError):
    """The routing file is missing or malformed; the message is one line naming the file."""


class Routing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    api_urls: tuple[str, ...] = Field(min_length=1, max_length=2)
    regions: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _check(self) -> Routing:
        for url in self.api_urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("api_urls: each entry must be an http(s) URL such as http://127.0.0.1:17001/")
        if self.regions is not None and len(self.regions) != len(self.api_urls):
            raise ValueError("regions: must have one label per api_urls entry")
        return self

    def region_of(self, index: int) -> str | None:
        """The region given for ``api_urls[index]``, if the file names regions."""
        return self.regions[index] if self.regions else None

    @property
    def label(self) -> str:
        """Ledger region label: the called region(s), ``+``-joined when dual-writing."""
        names = self.regions or tuple(urlsplit(u).netloc for u in self.api_urls)
        return "+".join(names)


def load_routing(path: Path) -> Routing:
    try:
        return Routing.model_validate_json(path.read_text())
    except FileNotFoundError:
        raise RoutingError(f"routing file {path} does not exist; write {{\"api_urls\": [URL]}}") from None
    except ValidationError as err:
        first = err.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise RoutingError(f"routing file {path}: {where}: {first['msg']}") from None


@dataclass(frozen=True)
class PostOutcome:
    """One POST's result: ``failed`` holds per-record rejections when the API answered 200."""

    status: int | None  # None: no HTTP answer (connection refused, timeout), or not the contract's
    failed: frozenset[int] = frozenset()
    error: str | None = None
    retry: bool = True  # False: sending the same batch again cannot succeed (refused as such)

    @property
    def ok(self) -> bool:
        return self.status == 200


class IngestClient:
    """One keep-alive connection to one ingest API, requests signed; reconnects after any transport
    error. Only a 200 answer that accounts for every event sent (``contracts.ingest``) acknowledges."""

    def __init__(self, api_url: str, timeout_s: float, signer: RequestSigner) -> None:
        parts = urlsplit(api_url)
        self.url = api_url
        self._signer = signer
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = parts.path.rstrip("/") + "/events"
        self._timeout = timeout_s
        self._conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes, sent: int) -> PostOutcome:
        """POST one batch of ``sent`` events."""
        headers = self._signer.headers("POST", self._signed_url, body, {"Content-Type": "application/json"})
        try:
            conn = self._connection()
            conn.request("POST", self._path, body, headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as err:
            self.close()
            return PostOutcome(status=None, error=f"{self.url}: {type(err).__name__}")
        if response.status != 200:
            reason = _error_reason(data)
            return PostOutcome(status=response.status, error=f"{self.url}: HTTP {response.status} {reason}",
                               retry=retryable(response.status))
        try:
            answer = parse_batch_accepted(json.loads(data), sent)
        except ValueError as err:  # a 200 that does not say what was stored acknowledges nothing
            return PostOutcome(status=None, error=f"{self.url}: {err}", retry=False)
        return PostOutcome(status=200, failed=frozenset(answer["failed"]))

    @property
    def _signed_url(self) -> str:
        scheme = "https" if self._https else "http"
        port = f":{self._port}" if self._port else ""
        return f"{scheme}://{self._host}{port}{self._path}"

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        return self._conn


def _error_reason(data: bytes) -> str:
    try:
        return str(json.loads(data).get("error", ""))[:200]
    except (ValueError, AttributeError):
        return ""
