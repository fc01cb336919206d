"""Settings, read from ``OPENCHECKOUT_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./opencheckout.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    #: Base of the buyer-facing permalinks; set it to the public origin behind a proxy.
    public_url: str = DEFAULT_PUBLIC_URL
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 1024 * 1024
    #: How long an Idempotency-Key's first response is replayed.
    idempotency_ttl_seconds: int = 24 * 3600
    #: An in-flight idempotent request older than this is presumed dead (its
    #: process crashed) and its key may be taken over by a retry.
    idempotency_lock_timeout_seconds: int = 60

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            database_url=env.get("OPENCHECKOUT_DATABASE_URL", DEFAULT_DATABASE_URL),
            public_url=env.get("OPENCHECKOUT_PUBLIC_URL", DEFAULT_PUBLIC_URL).rstrip("/"),
            max_body_bytes=int(env.get("OPENCHECKOUT_MAX_BODY_BYTES", str(1024 * 1024))),
        )
