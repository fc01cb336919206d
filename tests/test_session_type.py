"""The typed session (domain/session.py) at the store boundary, on both engines: a
driver read and an ORM row give the same frozen value, and a document without a
session's keys is refused before it becomes one."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from opencheckout.domain.session import (
    CheckoutSession,
    SessionDocument,
    as_document,
    customer_columns,
)
from opencheckout.store import checkout_records
from opencheckout.store import payments as payment_store
from opencheckout.store.db import Database
from opencheckout.store.tenant import Tenant
from tests.factories import create_session


def _both_reads(
    database_url: str, checkout_id: str, other_tenant: bool = False
) -> tuple[CheckoutSession | None, CheckoutSession]:
    """The session as the hot path's driver read gives it (scoped to its tenant, or to
    another one), and as the ORM row a write loads becomes at the boundary."""

    async def run() -> tuple[CheckoutSession | None, CheckoutSession]:
        db = Database(database_url)
        try:
            async with db.read() as session:
                row = await payment_store.get_by_id(session, checkout_id)
                assert row is not None
                orm = checkout_records.session_of(row)
            account = "acct_someone_else" if other_tenant else orm.account_id
            driver = await checkout_records.get(db, Tenant(account, orm.livemode), checkout_id)
            return driver, orm
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_a_driver_read_and_an_orm_row_give_the_same_session(api, server):
    created = create_session(
        api,
        customer={"email": "Buyer@Example.COM"},
        metadata={"order": "42"},
    )
    driver, orm = _both_reads(server.database_url, created["id"])
    assert driver is not None
    assert type(driver) is CheckoutSession and type(orm) is CheckoutSession
    assert driver == orm
    assert driver.id == created["id"]
    assert driver.totals.amount_total == created["amount_total"]
    assert driver.email == "buyer@example.com"  # lowercased into the indexed column
    assert driver.data["line_items"][0]["id"] == created["line_items"][0]["id"]
    assert driver.data["metadata"] == {"order": "42"}
    # Another tenant sees nothing, whichever read.
    assert _both_reads(server.database_url, created["id"], other_tenant=True)[0] is None


def test_a_session_is_frozen_and_changes_by_replacement(api, server):
    created = create_session(api)
    session, _orm = _both_reads(server.database_url, created["id"])
    assert session is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        session.status = "completed"  # type: ignore[misc]
    doubled = session.with_totals(
        dataclasses.replace(session.totals, amount_total=2 * session.amount_total)
    )
    assert doubled.amount_total == 2 * session.amount_total
    assert session.amount_total == created["amount_total"]


def test_a_document_must_hold_every_key_a_session_has():
    complete = {key: None for key in SessionDocument.__required_keys__}
    complete["customer"] = {"id": "cus_1", "email": "A@B.example"}
    assert as_document(complete) is complete
    assert customer_columns(complete) == ("cus_1", "a@b.example")
    partial = {key: value for key, value in complete.items() if key != "line_items"}
    with pytest.raises(ValueError, match="line_items"):
        as_document(partial)
