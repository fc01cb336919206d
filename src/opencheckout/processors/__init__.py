"""Payment processors behind one small interface."""

from __future__ import annotations

from opencheckout.config import Settings
from opencheckout.processors.base import Processor
from opencheckout.processors.test import TestProcessor
from opencheckout.store.db import Database


def build_processors(settings: Settings, db: Database | None = None) -> dict[str, Processor]:
    """The processors the settings configure: always ``test``; ``stripe`` with a key;
    ``paypal`` with its client id, secret and webhook id.

    With ``db`` the test processor keeps its ledger in the database (shared by
    every process, surviving restarts); without, in memory.
    """
    ledger = None
    if db is not None:
        from opencheckout.processors.ledger import DatabaseLedger

        ledger = DatabaseLedger(db)
    processors: dict[str, Processor] = {
        "test": TestProcessor(settle_seconds=settings.test_settle_seconds, ledger=ledger)
    }
    if settings.stripe_secret_key:
        from opencheckout.processors.stripe import StripeProcessor

        processors["stripe"] = StripeProcessor(
            settings.stripe_secret_key,
            api_base=settings.stripe_api_base,
            webhook_secret=settings.stripe_webhook_secret,
            publishable_key=settings.stripe_publishable_key,
        )
    if settings.paypal_configured:
        from opencheckout.processors.paypal import PayPalProcessor

        processors["paypal"] = PayPalProcessor(
            str(settings.paypal_client_id),
            str(settings.paypal_client_secret),
            webhook_id=str(settings.paypal_webhook_id),
            api_base=settings.paypal_api_base,
        )
    return processors
