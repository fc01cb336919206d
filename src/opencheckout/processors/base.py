"""The interface the checkout service uses to take a payment.

A processor answers an authorization with a final outcome (succeeded or
declined) or with ``processing`` when the result arrives later (a bank or
3-D Secure step, a delayed settlement); it never touches the database. The
service records ``processor`` and ``processor_id``; a ``processing`` payment is
settled later by :func:`opencheckout.service.payments.settle`, fed by the
processor's webhook or by polling :meth:`Processor.retrieve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    PROCESSING = "processing"


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    checkout_id: str
    amount: int
    currency: str
    method: str
    details: dict[str, Any]
    custom: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PaymentResult:
    outcome: Outcome
    processor_id: str
    decline_code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    succeeded: bool
    refund_id: str
    message: str | None = None


class Processor(Protocol):
    name: str
    #: Whether this processor may take live-mode payments.
    supports_livemode: bool

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        """Charge (authorize and capture) the payment, or start it."""
        ...

    async def retrieve(self, processor_id: str) -> PaymentResult:
        """The payment's current state: how a ``processing`` payment is confirmed."""
        ...

    async def refund(self, processor_id: str, amount: int | None = None) -> RefundResult:
        """Give back ``amount`` (minor units; None for all) of a succeeded payment."""
        ...
