"""Idempotent POSTs: the first response to a key is replayed for 24 hours.

A key is claimed in its own short transaction before the request runs, so a
second request with the same key sees it in flight (409) instead of running
twice. Responses with a 5xx status are not kept: the client may retry them.

Keys are scoped to the API key that sent them (as Stripe scopes them to the
key's account and mode, and narrower): another key of the same account using
the same ``Idempotency-Key`` starts its own request and never sees the first
key's stored response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from opencheckout.domain.errors import Conflict, InvalidValue
from opencheckout.service.context import Context
from opencheckout.store import idempotency as store
from opencheckout.store.models import IdempotencyKey

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose key space an ``Idempotency-Key`` lives in: one API key of one account."""

    account_id: str
    api_key_id: str


@dataclass(frozen=True, slots=True)
class Replay:
    status_code: int
    body: bytes
    headers: dict[str, str]


class IdempotencyConflict(InvalidValue):
    code = "idempotency_conflict"


async def claim(ctx: Context, owner: Owner, key: str, fingerprint: str) -> Replay | None:
    """Claim ``key`` for a new request, or return the response to replay.

    Raises 409 while another request with the key is running and 422 when the
    key was used with a different request.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidValue(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
            code="idempotency_key_invalid",
            param="Idempotency-Key",
        )
    for _attempt in range(2):
        try:
            return await _claim_once(ctx, owner, key, fingerprint)
        except IntegrityError:
            # A concurrent request inserted the key first; look again.
            continue
    raise _in_flight()


def _in_flight() -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key is still being processed; retry later.",
        code="idempotency_in_flight",
        param="Idempotency-Key",
    )


async def _claim_once(ctx: Context, owner: Owner, key: str, fingerprint: str) -> Replay | None:
    now = ctx.clock()
    ttl = timedelta(seconds=ctx.settings.idempotency_ttl_seconds)
    lock_timeout = timedelta(seconds=ctx.settings.idempotency_lock_timeout_seconds)
    async with ctx.db.write() as session:
        row = await store.get(session, owner.account_id, owner.api_key_id, key)
        if row is None or row.created_at <= now - ttl:
            if row is not None:
                await store.remove(session, owner.account_id, owner.api_key_id, key)
                await session.flush()
            session.add(
                IdempotencyKey(
                    account_id=owner.account_id,
                    api_key_id=owner.api_key_id,
                    key=key,
                    request_fingerprint=fingerprint,
                    created_at=now,
                    locked_at=now,
                )
            )
            await session.flush()
            return None
        if row.request_fingerprint != fingerprint:
            raise IdempotencyConflict(
                "This Idempotency-Key was already used with a different request.",
                param="Idempotency-Key",
            )
        if row.status_code is None:
            if row.locked_at > now - lock_timeout:
                raise _in_flight()
            # The first request's process died mid-flight; this retry takes over.
            row.locked_at = now
            return None
        return Replay(
            status_code=row.status_code,
            body=row.response_body or b"",
            headers=dict(row.response_headers or {}),
        )


async def record(
    ctx: Context, owner: Owner, key: str, status_code: int, body: bytes, headers: dict[str, str]
) -> None:
    """Store the response for replay, or forget the key if the request failed on our side."""
    async with ctx.db.write() as session:
        if status_code >= 500:
            await store.remove(session, owner.account_id, owner.api_key_id, key)
            return
        row = await store.get(session, owner.account_id, owner.api_key_id, key)
        if row is None:
            return
        row.status_code = status_code
        row.response_body = body
        row.response_headers = headers
