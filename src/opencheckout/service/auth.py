"""Accounts, API keys and authentication.

A key fixes the account, the mode (test or live) and the scope. Only a
SHA-256 digest of the key is stored; the raw key is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from opencheckout.domain.errors import InvalidValue, NotFound
from opencheckout.ids import new_id, random_base62
from opencheckout.store import accounts as store
from opencheckout.store.db import Database
from opencheckout.store.models import Account, ApiKey

#: Random part of a key: 32 base62 characters ~ 190 bits (>= 128 required).
KEY_RANDOM_LENGTH = 32
#: Characters of the random part kept in the public prefix.
PREFIX_RANDOM_LENGTH = 8


class Scope(StrEnum):
    WRITE = "write"
    READ = "read"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: every query is scoped by ``account_id`` and ``livemode``."""

    account_id: str
    livemode: bool
    scope: Scope
    key_id: str

    @property
    def can_write(self) -> bool:
        return self.scope is Scope.WRITE


@dataclass(frozen=True, slots=True)
class CreatedKey:
    secret: str
    key: ApiKey


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _key_kind(scope: Scope, livemode: bool) -> str:
    return ("sk" if scope is Scope.WRITE else "rk") + ("_live_" if livemode else "_test_")


def key_prefix(secret: str) -> str | None:
    """The public prefix of a well-formed key, or None if it cannot be one of ours."""
    for kind in ("sk_test_", "sk_live_", "rk_test_", "rk_live_"):
        if secret.startswith(kind) and len(secret) == len(kind) + KEY_RANDOM_LENGTH:
            return secret[: len(kind) + PREFIX_RANDOM_LENGTH]
    return None


async def ensure_account(db: Database, name: str) -> Account:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidValue("Account names are 1 to 200 characters.", param="account")
    async with db.write() as session:
        account = await store.get_account_by_name(session, name)
        if account is None:
            account = Account(id=new_id("acct"), name=name, created_at=datetime.now(UTC))
            session.add(account)
        return account


async def find_account_id(db: Database, id_or_name: str) -> str | None:
    """The id of the account with this id, or else with this name; None if neither exists."""
    async with db.read() as session:
        account = await store.get_account(session, id_or_name)
        if account is None:
            account = await store.get_account_by_name(session, id_or_name)
    return None if account is None else account.id


async def create_key(
    db: Database, account_name: str, *, livemode: bool, scope: Scope
) -> CreatedKey:
    """Create a key (and the account if it is new). The secret is returned only here."""
    account = await ensure_account(db, account_name)
    secret = _key_kind(scope, livemode) + random_base62(KEY_RANDOM_LENGTH)
    prefix = key_prefix(secret)
    assert prefix is not None
    key = ApiKey(
        id=new_id("key"),
        account_id=account.id,
        livemode=livemode,
        scope=scope.value,
        prefix=prefix,
        key_hash=_digest(secret),
        created_at=datetime.now(UTC),
    )
    async with db.write() as session:
        session.add(key)
    return CreatedKey(secret=secret, key=key)


async def list_keys(db: Database, account_name: str) -> list[ApiKey]:
    async with db.read() as session:
        account = await store.get_account_by_name(session, account_name)
        if account is None:
            raise NotFound(f"No account named '{account_name}'.", param="account")
        return await store.list_keys(session, account.id)


async def revoke_key(db: Database, prefix: str) -> ApiKey:
    async with db.write() as session:
        key = await store.get_key_by_prefix(session, prefix)
        if key is None:
            raise NotFound(f"No key with prefix '{prefix}'.", param="prefix")
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
        return key


class PrincipalCache:
    """Keys that authenticated in the last ``ttl`` seconds, by their SHA-256 digest.

    Authentication is a database read on every request otherwise, as costly as
    the retrieve it guards. Only successes are kept (a new key works at once,
    a wrong one is looked up every time), never the key itself, and only for
    ``ttl`` seconds: a revoked key keeps working for at most that long in each
    process that saw it. ``ttl`` 0 disables the cache.
    """

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._entries[digest]
            return None
        return entry[1]

    def put(self, digest: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = (self.clock() + self.ttl, principal)


async def authenticate(
    db: Database, secret: str, *, cache: PrincipalCache | None = None
) -> Principal | None:
    """The principal for a presented key, or None for an unknown or revoked key."""
    prefix = key_prefix(secret)
    if prefix is None:
        return None
    digest = _digest(secret)
    if cache is not None and (cached := cache.get(digest)) is not None:
        return cached
    async with db.read() as session:
        key = await store.get_key_by_prefix(session, prefix)
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, digest):
        return None
    principal = Principal(
        account_id=key.account_id, livemode=key.livemode, scope=Scope(key.scope), key_id=key.id
    )
    if cache is not None:
        cache.put(digest, principal)
    return principal
