"""What else happens, in the same transaction, when a session is paid.

Called wherever a session moves to ``completed`` (a synchronous payment in
``service.checkouts.complete``, an asynchronous one in ``service.payments.settle``),
so both paths do the same: the order is created and the buyer's address is
saved to the linked customer's book, and the session's checkout link counts it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.service import checkout_links, customer_links, orders
from opencheckout.store.models import Checkout
from opencheckout.store.tenant import Tenant


async def on_completed(session: AsyncSession, row: Checkout, now: datetime) -> None:
    tenant = Tenant(row.account_id, row.livemode)
    await orders.create_for(session, row, now)
    await checkout_links.on_completed(session, row)
    await customer_links.remember_address(session, tenant, row.data, now)
