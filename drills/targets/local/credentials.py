"""Credentials generated at ``up`` and seeded into Secrets Manager as the "pre-existing" secrets.

They are kept in ``<state>/credentials.json`` (mode 0600) so later commands (promote, lag probe,
status) can authenticate; ``SecretStr`` keeps them out of every repr, log line and exception.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from drills.targets.local.errors import SandboxError

DB_USER = "htdr_admin"


class Credentials(BaseModel):
    """Database superuser password and cache AUTH token of one sandbox."""

    model_config = ConfigDict(frozen=True)

    db_user: str = DB_USER
    db_password: SecretStr
    cache_token: SecretStr

    @classmethod
    def generate(cls) -> Credentials:
        """Fresh random secrets (URL-safe, so they fit connection strings and config files)."""
        return cls(
            db_password=SecretStr(secrets.token_urlsafe(24)), cache_token=SecretStr(secrets.token_urlsafe(24))
        )

    def save(self, path: Path) -> None:
        """Write with mode 0600 from the first byte (never world-readable, even briefly)."""
        data = {
            "db_user": self.db_user,
            "db_password": self.db_password.get_secret_value(),
            "cache_token": self.cache_token.get_secret_value(),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)

    @classmethod
    def load(cls, path: Path) -> Credentials:
        """Read back the saved credentials; a missing or corrupt file points at ``down --force``."""
        try:
            return cls.model_validate_json(path.read_text())
        except (OSError, ValidationError):
            raise SandboxError(
                f"sandbox credentials file {path} is missing or corrupt: run 'htdr sandbox down --force' "
                "then 'htdr sandbox up'"
            ) from None
