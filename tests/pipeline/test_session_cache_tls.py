"""The session cache speaks TLS with certificate and host-name checks when the config says so
(ElastiCache in-transit encryption), plain Redis protocol only when told (the sandbox)."""

from __future__ import annotations

import redis

from drills.pipeline.sessions import SessionCache


def _connection_kwargs(cache: SessionCache) -> tuple[type, dict[str, object]]:
    pool = cache._client.connection_pool
    return pool.connection_class, dict(pool.connection_kwargs)


def test_tls_verifies_the_server_and_sends_the_auth_token() -> None:
    cache = SessionCache("cache.example.internal", 6379, "token-value", "ca-central-1", tls=True)
    try:
        cls, kwargs = _connection_kwargs(cache)
        assert issubclass(cls, redis.SSLConnection)
        assert kwargs["ssl_cert_reqs"] == "required" and kwargs["ssl_check_hostname"] is True
        assert kwargs["password"] == "token-value"
    finally:
        cache.close()


def test_plain_only_when_asked() -> None:
    cache = SessionCache("127.0.0.1", 6379, None, "ca-central-1", tls=False)
    try:
        cls, kwargs = _connection_kwargs(cache)
        assert not issubclass(cls, redis.SSLConnection) and kwargs.get("password") is None
    finally:
        cache.close()
