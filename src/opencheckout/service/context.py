"""What every use case needs: the database, settings, processors and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from opencheckout.config import Settings
from opencheckout.processors.base import Processor
from opencheckout.processors.test import TestProcessor
from opencheckout.store.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Context:
    db: Database
    settings: Settings
    processors: dict[str, Processor] = field(default_factory=lambda: {"test": TestProcessor()})
    clock: Callable[[], datetime] = utc_now

    def processor_name_for(self, livemode: bool) -> str | None:
        """The name of :meth:`processor_for`'s processor (whose amount rules apply)."""
        processor = self.processor_for(livemode)
        return None if processor is None else processor.name

    def processor_for_method(self, livemode: bool, method: str | None) -> Processor | None:
        """The processor that takes ``method`` payments in this mode.

        ``paypal`` goes to PayPal once its settings are there; without them test
        mode simulates the approval with the built-in test processor and live
        mode has none (refused). Cards go to :meth:`processor_for`.
        """
        if method == "paypal":
            paypal = self.processors.get("paypal")
            if paypal is not None:
                return paypal
            return None if livemode else self.processors.get("test")
        return self.processor_for(livemode)

    def paypal_available(self, livemode: bool) -> bool:
        return self.processor_for_method(livemode, "paypal") is not None

    def processor_for(self, livemode: bool) -> Processor | None:
        """The processor that takes payments in this mode, if one is configured.

        Test mode uses ``settings.processor`` (the built-in ``test`` one by
        default); live mode uses Stripe once its key is set, and never a
        processor that cannot take live payments.
        """
        name = "stripe" if livemode else self.settings.processor
        processor = self.processors.get(name)
        if processor is None or (livemode and not processor.supports_livemode):
            return None
        return processor
