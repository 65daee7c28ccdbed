"""The JSON shapes of the pre-existing Secrets Manager secrets (the app imports them, never creates).

The CDK app resolves these keys (CloudFormation dynamic references, ECS ``secrets`` valueFrom
``<arn>:<key>::``); the processor reads the same keys; the sandbox seeds its secrets with them.
"""

from __future__ import annotations

#: Aurora master credentials: ``{"username": "...", "password": "..."}``.
DB_USERNAME = "username"
DB_PASSWORD = "password"
#: ElastiCache AUTH token: ``{"authToken": "..."}``.
CACHE_AUTH_TOKEN = "authToken"
