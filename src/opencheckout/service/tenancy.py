"""The tenant a caller acts for: every store query is scoped by it."""

from __future__ import annotations

from opencheckout.service.auth import Principal
from opencheckout.store.checkouts import Tenant


def tenant_of(principal: Principal) -> Tenant:
    """An API key fixes both the account and the mode (test or live)."""
    return Tenant(principal.account_id, principal.livemode)
