"""Checkout links: one public URL (``/l/{slug}``) that makes a session per buyer.

A link holds line items (catalog SKUs or ad-hoc, each possibly with
``adjustable_quantity``), a currency and the settings it stamps on every
session it makes. Those are checked on create and update the way a session
create would check them (the same pricing code, without writing a session),
and a session is made from them through :func:`checkouts.create_with_resource`,
the API's own create, so a link cannot make a session the API would refuse.

``max_completions`` is enforced at payment: the claim transaction of
``complete`` counts the session in ``claimed_count`` with a conditional
UPDATE (:func:`claim`), so of many buyers paying sessions of one link at once
no more than ``max_completions`` get through; the others get 409
``checkout_link_exhausted`` and their sessions stay as they were. A payment
that does not happen gives the claim back (:func:`release`), and a completed
one counts in ``completed_count`` and ``amount_completed`` in the transaction
that completes it (:func:`on_completed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.errors import Conflict, InvalidValue, NotFound
from opencheckout.domain.lifecycle import OPEN_STATUSES, Status, effective_status
from opencheckout.domain.session import CheckoutSession
from opencheckout.ids import new_id, random_base62
from opencheckout.service import events
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context
from opencheckout.service.metadata import merge_metadata
from opencheckout.service.paging import Cursor
from opencheckout.service.resources import TenantResource, cursor_page
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import checkout_links as store
from opencheckout.store import checkouts as checkout_store
from opencheckout.store.models import Checkout, CheckoutLink
from opencheckout.store.tenant import Tenant

#: The session settings a link stamps on every session it makes, with the
#: defaults of a session create.
SETTINGS_DEFAULTS: dict[str, Any] = {
    "billing_details_collection": "required",
    "coupon_collection": False,
    "locale": "auto",
    "payment_methods": ["card", "paypal"],
    "success_url": None,
    "cancel_url": None,
    "shipping_options": [],
    "default_tax_rates": [],
    "custom_fields": [],
}
#: 16 base62 characters: ~95 bits, short enough to read out, far too many to guess.
SLUG_LENGTH = 16
#: The key id sessions made from a link are created under (no API key is involved).
LINK_KEY_ID = "checkout_link"
#: Where a session remembers that it holds one of its link's claims.
CLAIM_KEY = "checkout_link_claimed"


def link_url(public_url: str, slug: str) -> str:
    return f"{public_url}/l/{slug}"


def link_resource(row: CheckoutLink, *, public_url: str, sessions_created: int) -> dict[str, Any]:
    settings = {key: row.settings.get(key, default) for key, default in SETTINGS_DEFAULTS.items()}
    return {
        "id": row.id,
        "object": "checkout_link",
        "url": link_url(public_url, row.slug),
        "active": row.active,
        "currency": row.currency,
        "line_items": row.line_items,
        **settings,
        "metadata": row.metadata_,
        "expires_at": isoformat(row.expires_at) if row.expires_at is not None else None,
        "max_completions": row.max_completions,
        "sessions_created": sessions_created,
        "completed_count": row.completed_count,
        "amount_completed": row.amount_completed,
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def rendered(ctx: Context, row: CheckoutLink, sessions_created: int) -> dict[str, Any]:
    """The link as the API shows it, its url on this server's public address."""
    return link_resource(row, public_url=ctx.settings.public_url, sessions_created=sessions_created)


def session_params(row: CheckoutLink) -> dict[str, Any]:
    """The create parameters of a session made from the link."""
    params: dict[str, Any] = {
        key: row.settings.get(key, default) for key, default in SETTINGS_DEFAULTS.items()
    }
    params.update(
        line_items=[dict(item) for item in row.line_items],
        currency=row.currency,
        metadata=dict(row.metadata_),
        checkout_link=row.id,
    )
    return params


resource = TenantResource(store.links, "checkout link")


async def _check(ctx: Context, principal: Principal, row: CheckoutLink) -> None:
    """Refuse what a session create from the link would refuse (422 on the same param)."""
    from opencheckout.service import checkouts

    params = session_params(row)
    params.pop("checkout_link")
    await checkouts.check_params(ctx, principal, params)


def _check_window(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise InvalidValue("expires_at must be in the future.", param="expires_at")


async def _emit(
    ctx: Context, session: AsyncSession, row: CheckoutLink, type: str, now: datetime
) -> None:
    counts = await store.sessions_created(session, Tenant(row.account_id, row.livemode), [row.id])
    await events.record(
        session,
        account_id=row.account_id,
        livemode=row.livemode,
        type=type,
        obj=link_resource(
            row, public_url=ctx.settings.public_url, sessions_created=counts.get(row.id, 0)
        ),
        now=now,
    )


async def create(ctx: Context, principal: Principal, params: Mapping[str, Any]) -> CheckoutLink:
    now = ctx.clock()
    _check_window(params.get("expires_at"), now)
    row = CheckoutLink(
        id=new_id("cl"),
        account_id=principal.account_id,
        livemode=principal.livemode,
        slug=random_base62(SLUG_LENGTH),
        currency=params["currency"],
        line_items=params["line_items"],
        settings={key: params.get(key, default) for key, default in SETTINGS_DEFAULTS.items()},
        active=params.get("active", True),
        expires_at=params.get("expires_at"),
        max_completions=params.get("max_completions"),
        claimed_count=0,
        completed_count=0,
        amount_completed=0,
        metadata_=params.get("metadata") or {},
        created_at=now,
        updated_at=now,
    )
    await _check(ctx, principal, row)
    async with ctx.db.write() as session:
        await store.links.insert(session, row)
        await _emit(ctx, session, row, "checkout_link.created", now)
    return row


async def retrieve(ctx: Context, principal: Principal, link_id: str) -> CheckoutLink:
    return await resource.retrieve(ctx, principal, link_id)


#: Fields ``update`` may set to null.
NULLABLE = frozenset({"expires_at", "max_completions", "success_url", "cancel_url"})


def _apply(row: CheckoutLink, changes: Mapping[str, Any]) -> None:
    for name in ("currency", "line_items", "active", "expires_at", "max_completions"):
        if name in changes:
            setattr(row, name, changes[name])
    settings = dict(row.settings)
    for name in SETTINGS_DEFAULTS:
        if name in changes:
            settings[name] = changes[name]
    row.settings = settings
    if "metadata" in changes:
        row.metadata_ = merge_metadata(row.metadata_, changes["metadata"] or {})


def _copy(row: CheckoutLink) -> CheckoutLink:
    return CheckoutLink(
        **{column.key: getattr(row, column.key) for column in CheckoutLink.__mapper__.column_attrs}
    )


async def update(
    ctx: Context, principal: Principal, link_id: str, changes: Mapping[str, Any]
) -> CheckoutLink:
    now = ctx.clock()
    for name, value in changes.items():
        if value is None and name not in NULLABLE and name != "metadata":
            raise InvalidValue(f"'{name}' cannot be null.", param=name)
    if "expires_at" in changes:
        _check_window(changes["expires_at"], now)
    # What the next sessions would be is checked first, outside the write (the check
    # reads the catalog like a session create does).
    proposed = _copy(await retrieve(ctx, principal, link_id))
    _apply(proposed, changes)
    await _check(ctx, principal, proposed)
    async with resource.locked(ctx, principal, link_id) as (session, row):
        _apply(row, changes)
        row.updated_at = now
        await session.flush()
        await _emit(ctx, session, row, "checkout_link.updated", now)
    return row


async def list_links(
    ctx: Context, principal: Principal, cursor: Cursor, *, active: bool | None = None
) -> tuple[list[CheckoutLink], dict[str, int], bool]:
    tenant = tenant_of(principal)
    conditions = store.links.equal(active=active)
    async with ctx.db.read() as session:
        rows, has_more = await cursor_page(
            session, store.links, tenant, cursor, noun=resource.noun, conditions=conditions
        )
        counts = await store.sessions_created(session, tenant, [row.id for row in rows])
    return rows, counts, has_more


async def sessions_created(ctx: Context, row: CheckoutLink) -> int:
    async with ctx.db.read() as session:
        counts = await store.sessions_created(
            session, Tenant(row.account_id, row.livemode), [row.id]
        )
    return counts.get(row.id, 0)


# The public link -----------------------------------------------------------


class Unavailable(Exception):
    """The link exists but makes no more sessions (410): ``reason`` says why."""

    def __init__(self, reason: str, link: CheckoutLink) -> None:
        super().__init__(reason)
        self.reason = reason
        self.link = link


def unavailable_reason(row: CheckoutLink, now: datetime) -> str | None:
    """``inactive``, ``expired`` or ``exhausted``; None while the link makes sessions."""
    if not row.active:
        return "inactive"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    if row.max_completions is not None and row.completed_count >= row.max_completions:
        return "exhausted"
    return None


@dataclass(frozen=True, slots=True)
class Visit:
    link: CheckoutLink
    #: The session the buyer is sent to, and whether it was made by this visit.
    token: str
    created: bool


async def load(ctx: Context, slug: str) -> CheckoutLink:
    """The usable link behind ``slug``; NotFound if none, :class:`Unavailable` if closed."""
    if not slug or len(slug) > 40 or not slug.isalnum():
        raise NotFound("No checkout link has this address.", param="slug")
    async with ctx.db.read() as session:
        row = await store.by_slug(session, slug)
    if row is None:
        raise NotFound("No checkout link has this address.", param="slug")
    reason = unavailable_reason(row, ctx.clock())
    if reason is not None:
        raise Unavailable(reason, row)
    return row


async def open_session_of(ctx: Context, row: CheckoutLink, token: str | None) -> str | None:
    """The token of the link's session behind ``token`` (the buyer's cookie), if the
    buyer can still use it: open (pending, failed) or being paid."""
    if not token or len(token) > 64:
        return None
    async with ctx.db.read() as session:
        found = await checkout_store.get_by_token(session, token)
    if found is None or found.checkout_link != row.id:
        return None
    status = effective_status(Status(found.status), found.expires_at, ctx.clock())
    if status in OPEN_STATUSES or status is Status.PROCESSING:
        return found.token
    return None


def principal_for(row: CheckoutLink) -> Principal:
    return Principal(
        account_id=row.account_id, livemode=row.livemode, scope=Scope.WRITE, key_id=LINK_KEY_ID
    )


async def make_session(ctx: Context, row: CheckoutLink) -> CheckoutSession:
    """A new session from the link, through the API's create (``checkout.created``)."""
    from opencheckout.service import checkouts

    return await checkouts.create(ctx, principal_for(row), session_params(row))


# Payment hooks (in the claim and settle transactions of service.checkouts) ----


async def claim(session: AsyncSession, tenant: Tenant, row: Checkout) -> None:
    """Count the session against its link's ``max_completions``, or raise 409."""
    link_id = row.checkout_link
    if link_id is None:
        return
    if not await store.claim(session, tenant, link_id):
        raise Conflict(
            "This checkout link has reached its maximum number of completed payments; "
            "nothing was charged.",
            code="checkout_link_exhausted",
            param="checkout_link",
        )
    row.data = {**row.data, CLAIM_KEY: True}
    await session.flush()


async def release(session: AsyncSession, row: Checkout) -> None:
    """Give back what :func:`claim` counted for ``row`` (once: the mark is cleared)."""
    if row.checkout_link is None or not row.data.get(CLAIM_KEY):
        return
    await store.release(session, Tenant(row.account_id, row.livemode), row.checkout_link)
    row.data = {key: value for key, value in row.data.items() if key != CLAIM_KEY}
    await session.flush()


async def on_completed(session: AsyncSession, row: Checkout) -> None:
    if row.checkout_link is None:
        return
    await store.add_completion(
        session, Tenant(row.account_id, row.livemode), row.checkout_link, row.amount_total
    )
