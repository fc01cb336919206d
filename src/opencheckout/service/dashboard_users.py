"""Dashboard users: accounts' people, their passwords and their signed-in browsers.

Passwords are hashed with Argon2id (argon2-cffi's defaults: RFC 9106's second
recommended profile); the hash runs in a thread so that a sign-in does not stall
the event loop. A browser session is a random 256-bit token in a cookie; only its
SHA-256 digest is stored. Five failed sign-ins for an email within 15 minutes lock
that email out for the rest of the window (unknown emails too, so a locked-out
answer does not reveal which emails have users).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from opencheckout.domain.errors import Conflict, DomainError, InvalidValue, NotFound
from opencheckout.ids import new_id
from opencheckout.service import auth
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context, utc_now
from opencheckout.store import accounts as account_store
from opencheckout.store import dashboard as store
from opencheckout.store.db import Database
from opencheckout.store.models import Account, DashboardSession, DashboardUser, LoginAttempt

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class LockedOut(DomainError):
    """Too many failed sign-ins for this email in the window."""

    code = "login_locked"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is looking at the dashboard, and in which mode."""

    user: DashboardUser
    account: Account
    livemode: bool
    #: The cookie's token hash (the per-session CSRF secret is derived from the token).
    token_hash: str

    @property
    def principal(self) -> Principal:
        return Principal(
            account_id=self.account.id,
            livemode=self.livemode,
            scope=Scope.WRITE,
            key_id=f"dashboard:{self.user.id}",
        )


def normalize_email(email: str) -> str:
    return email.strip().lower()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(
            f"Passwords are at least {MIN_PASSWORD_LENGTH} characters.", param="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(
            f"Passwords are at most {MAX_PASSWORD_LENGTH} characters.", param="password"
        )


def _check_email(email: str) -> str:
    email = normalize_email(email)
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 320 or " " in email:
        raise InvalidValue("Give an email address such as ops@example.com.", param="email")
    return email


async def create_user(db: Database, account_name: str, email: str, password: str) -> DashboardUser:
    """A user of ``account_name`` (created if missing); 409 if the email is taken."""
    email = _check_email(email)
    _check_password(password)
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    account = await auth.ensure_account(db, account_name)
    async with db.write() as session:
        if await store.user_by_email(session, email) is not None:
            raise Conflict(f"A dashboard user with email {email} exists.", code="user_exists")
        user = DashboardUser(
            id=new_id("usr"),
            account_id=account.id,
            email=email,
            password_hash=password_hash,
            created_at=utc_now(),
        )
        session.add(user)
    return user


async def list_users(db: Database, account_name: str | None) -> list[tuple[DashboardUser, str]]:
    """(user, account name) pairs, of one account or of all."""
    async with db.read() as session:
        account_id = None
        if account_name is not None:
            account = await account_store.get_account_by_name(session, account_name)
            if account is None:
                raise NotFound(f"No account named '{account_name}'.", param="account")
            account_id = account.id
        users = await store.users_of(session, account_id)
        names: dict[str, str] = {}
        for user in users:
            if user.account_id not in names:
                account = await session.get(Account, user.account_id)
                names[user.account_id] = account.name if account else user.account_id
    return [(user, names[user.account_id]) for user in users]


async def disable_user(db: Database, email: str) -> DashboardUser:
    """Disable the user and end their sessions; they can no longer sign in."""
    email = normalize_email(email)
    async with db.write() as session:
        user = await store.user_by_email(session, email)
        if user is None:
            raise NotFound(f"No dashboard user with email {email}.", param="email")
        if user.disabled_at is None:
            user.disabled_at = utc_now()
        await store.end_sessions(session, user_id=user.id)
    return user


async def sign_in(ctx: Context, email: str, password: str) -> tuple[str, SignedIn] | None:
    """A new session token for good credentials; None for bad ones; LockedOut when
    the email has too many recent failures (checked before the password)."""
    email = normalize_email(email)[:320]
    now = ctx.clock()
    async with ctx.db.read() as session:
        failures = await store.failures_since(session, email, now - LOCKOUT_WINDOW)
        user = await store.user_by_email(session, email)
    if failures >= LOCKOUT_FAILURES:
        raise LockedOut(
            "Too many failed sign-in attempts for this email. Try again in 15 minutes.",
            param="email",
        )
    stored = user.password_hash if user is not None else _DUMMY_HASH
    ok = await asyncio.to_thread(_verify, stored, password[:MAX_PASSWORD_LENGTH])
    ok = ok and user is not None and user.disabled_at is None
    async with ctx.db.write() as session:
        session.add(LoginAttempt(email=email, succeeded=ok, created_at=now))
        await store.purge_attempts_before(session, now - LOCKOUT_WINDOW * 4)
        if not ok or user is None:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            fresh = await session.get(DashboardUser, user.id)
            if fresh is not None:
                fresh.password_hash = await asyncio.to_thread(_hasher.hash, password)
        token = secrets.token_urlsafe(32)
        digest = token_hash(token)
        session.add(
            DashboardSession(
                token_hash=digest,
                user_id=user.id,
                livemode=False,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
        account = await session.get(Account, user.account_id)
        assert account is not None
    return token, SignedIn(user=user, account=account, livemode=False, token_hash=digest)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def current(ctx: Context, token: str | None) -> SignedIn | None:
    if not token or len(token) > 100:
        return None
    digest = token_hash(token)
    async with ctx.db.read() as session:
        found = await store.session_user(session, digest, ctx.clock())
    if found is None:
        return None
    row, user, account = found
    return SignedIn(user=user, account=account, livemode=row.livemode, token_hash=digest)


async def sign_out(ctx: Context, signed_in: SignedIn) -> None:
    async with ctx.db.write() as session:
        await store.end_sessions(session, token_hash=signed_in.token_hash)


async def set_mode(ctx: Context, signed_in: SignedIn, livemode: bool) -> None:
    """The test/live switch: later views of this browser show that mode's data."""
    async with ctx.db.write() as session:
        row = await store.get_session(session, signed_in.token_hash)
        if row is not None:
            row.livemode = livemode
