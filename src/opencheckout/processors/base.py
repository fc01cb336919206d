"""The interface the checkout service uses to take a payment.

A processor answers an authorization with a final outcome (succeeded or
declined) or with ``processing`` when the result arrives later (a bank or
3-D Secure step, a delayed settlement); it never touches the database. The
service records ``processor`` and ``processor_id``; a ``processing`` payment is
settled later by :func:`opencheckout.service.payments.settle`, fed by the
processor's webhook or by polling :meth:`Processor.retrieve`.

Every call is one *attempt*, recorded with its idempotency key before the
processor is called (``PaymentRequest.idempotency_key``; the processor must
send it so a repeated call cannot charge twice). If the process dies before
the answer is recorded, the worker asks :meth:`Processor.find` what became of
the key and, once the attempt is older than the reconcile window, makes it
final with :meth:`Processor.void`. A processor (Stripe, PayPal, ...) plugs into
that mechanism by implementing these two methods.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    #: The attempt's key: the processor sends it (Idempotency-Key, PayPal-Request-Id).
    idempotency_key: str = ""
    livemode: bool = False
    #: Where a processor that sends the buyer away (PayPal) brings them back.
    return_url: str = ""
    cancel_url: str = ""
    #: The session's figures for an itemized order (``line_items``, ``amount_shipping``,
    #: ``amount_discount``); processors that show no items ignore it.
    order: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AttemptRef:
    """What reconciliation knows of an attempt whose answer may have been lost."""

    idempotency_key: str
    checkout_id: str
    amount: int
    currency: str
    #: The processor's id for it, when it was recorded before the crash.
    processor_id: str | None = None
    livemode: bool = False
    #: The buyer gave up at the processor (PayPal's cancel): :meth:`Processor.void`
    #: releases what is not charged now instead of waiting for the buyer.
    canceled_by_buyer: bool = False


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
    #: Neither given back nor refused yet (Stripe's ``pending``): settled later.
    pending: bool = False


class Processor(Protocol):
    name: str
    #: Whether this processor may take live-mode payments.
    supports_livemode: bool
    #: Whether a ``processing`` attempt should be polled (with backoff) before the
    #: reconcile window: true where the final answer may never be pushed to us.
    polls: bool

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        """Charge (authorize and capture) the payment, or start it."""
        ...

    async def retrieve(self, processor_id: str) -> PaymentResult:
        """The payment's current state: how a ``processing`` payment is confirmed."""
        ...

    async def refund(
        self, processor_id: str, amount: int | None = None, *, currency: str | None = None
    ) -> RefundResult:
        """Give back ``amount`` (minor units; None for all) of a succeeded payment."""
        ...

    async def retrieve_refund(self, refund_id: str) -> RefundResult:
        """The refund's current state: how a ``pending`` refund is settled when no
        webhook says so (``pending`` while the processor has not decided)."""
        ...

    async def find(self, attempt: AttemptRef) -> PaymentResult | None:
        """What the processor did with this attempt's key; None if it has no payment for it."""
        ...

    async def void(self, attempt: AttemptRef) -> PaymentResult | None:
        """Make an unfinished attempt final: stop it so it can never be charged.

        Returns its final state: None or DECLINED when nothing was (or will be)
        charged, SUCCEEDED when it had gone through after all, PROCESSING when
        the processor cannot stop it yet (asked again later).
        """
        ...
