"""The checkout status machine.

    pending -> processing -> completed | failed
    failed  -> processing            (retry)
    pending | failed -> abandoned    (cancel, or inactivity past expires_at)

completed and abandoned are final. Expiry is evaluated on read so that a
session past ``expires_at`` is reported abandoned before any sweeper writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from opencheckout.domain.errors import Conflict


class Status(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    ABANDONED = "abandoned"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    #: The total was zero (e.g. a 100 % coupon): completed without any processor.
    NO_PAYMENT_REQUIRED = "no_payment_required"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.PROCESSING, Status.ABANDONED}),
    Status.FAILED: frozenset({Status.PROCESSING, Status.ABANDONED}),
    Status.PROCESSING: frozenset({Status.COMPLETED, Status.FAILED}),
    Status.COMPLETED: frozenset(),
    Status.ABANDONED: frozenset(),
}

#: States a merchant may still edit, and from which a buyer may still pay or leave.
OPEN_STATUSES = frozenset({Status.PENDING, Status.FAILED})
#: States that expire into ``abandoned`` once ``expires_at`` has passed.
EXPIRING_STATUSES = OPEN_STATUSES


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def effective_status(stored: Status, expires_at: datetime, now: datetime) -> Status:
    """The status a reader must see: an open session past its expiry is abandoned."""
    if stored in EXPIRING_STATUSES and expires_at <= now:
        return Status.ABANDONED
    return stored


class Event(StrEnum):
    """Everything that changes a session's status (or, for refunds, its payment status)."""

    #: The buyer pays: the session is claimed while the processor is asked.
    CLAIM = "claim"
    #: A zero total: claimed and paid at once, with no processor.
    COMPLETE_FREE = "complete_free"
    #: The processor answered "still processing": its payment id is recorded.
    AWAIT = "await"
    #: The processor answered "paid".
    SUCCEED = "succeed"
    #: The processor declined, or could not be reached: payable again.
    FAIL = "fail"
    #: The merchant or the buyer gives up.
    CANCEL = "cancel"
    #: The sweep writes down an expiry that reads already report.
    EXPIRE = "expire"
    #: The merchant deletes a session nobody paid: the row goes.
    DELETE = "delete"
    #: A new pending copy of an abandoned session (the original does not change).
    RECOVER = "recover"
    #: A refund was reserved or settled: the payment status follows the amount refunded.
    REFUND = "refund"


class Expiry(StrEnum):
    """What ``expires_at`` must say for a move to apply (checked again by the store)."""

    #: Not yet expired: ``expires_at > now``.
    LIVE = "live"
    #: Expired: ``expires_at <= now`` (the sweep).
    PAST = "past"
    #: Whatever it says.
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Move:
    """One decided transition: the store applies it with a single compare-and-set."""

    event: Event
    #: The stored statuses the row must still have.
    source: frozenset[Status]
    #: The new status; None when the status is not written (delete, recover, refund).
    target: Status | None
    expiry: Expiry = Expiry.ANY
    #: The new payment status, when the move sets one.
    payment_status: PaymentStatus | None = None
    #: The stored payment statuses the row must still have (empty: any).
    payment_source: frozenset[PaymentStatus] = frozenset()


@dataclass(frozen=True, slots=True)
class _Rule:
    source: frozenset[Status]
    target: Status | None
    expiry: Expiry
    payment_status: PaymentStatus | None
    code: str
    refusal: str


_PAYABLE = "This checkout is {status} and cannot be paid."
_PROCESSING = frozenset({Status.PROCESSING})
_COMPLETED = frozenset({Status.COMPLETED})
#: Payment statuses a refund may change.
REFUNDABLE_PAYMENTS = frozenset(
    {PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)

RULES: dict[Event, _Rule] = {
    Event.CLAIM: _Rule(
        OPEN_STATUSES, Status.PROCESSING, Expiry.LIVE, None, "checkout_not_payable", _PAYABLE
    ),
    Event.COMPLETE_FREE: _Rule(
        OPEN_STATUSES,
        Status.COMPLETED,
        Expiry.LIVE,
        PaymentStatus.NO_PAYMENT_REQUIRED,
        "checkout_not_payable",
        _PAYABLE,
    ),
    Event.AWAIT: _Rule(
        _PROCESSING, Status.PROCESSING, Expiry.ANY, None, "checkout_conflict", _PAYABLE
    ),
    Event.SUCCEED: _Rule(
        _PROCESSING, Status.COMPLETED, Expiry.ANY, PaymentStatus.PAID, "checkout_conflict", _PAYABLE
    ),
    Event.FAIL: _Rule(_PROCESSING, Status.FAILED, Expiry.ANY, None, "checkout_conflict", _PAYABLE),
    Event.CANCEL: _Rule(
        OPEN_STATUSES,
        Status.ABANDONED,
        Expiry.LIVE,
        None,
        "checkout_not_cancelable",
        "This checkout is {status}; only pending or failed sessions can be cancelled.",
    ),
    Event.EXPIRE: _Rule(
        EXPIRING_STATUSES,
        Status.ABANDONED,
        Expiry.PAST,
        None,
        "checkout_not_expired",
        "This checkout is {status}; only expired open sessions are abandoned by the sweep.",
    ),
    Event.DELETE: _Rule(
        frozenset({Status.PENDING}),
        None,
        Expiry.LIVE,
        None,
        "checkout_not_deletable",
        "This checkout is {status}; only pending sessions can be deleted.",
    ),
    Event.RECOVER: _Rule(
        frozenset({Status.ABANDONED}),
        None,
        Expiry.ANY,
        None,
        "checkout_not_recoverable",
        "This checkout is {status}; only abandoned sessions can be recovered.",
    ),
}


def _allowed(rule: _Rule, stored: Status, expires_at: datetime, now: datetime) -> bool:
    if rule.expiry is Expiry.PAST:
        return stored in rule.source and expires_at <= now
    # The effective status: an open session past expiry is abandoned, not open.
    return effective_status(stored, expires_at, now) in rule.source


def decide(event: Event, stored: Status, expires_at: datetime, now: datetime) -> Move:
    """The move ``event`` makes from ``stored``, or the Conflict that refuses it.

    Refusals name the *effective* status (an open session past expiry is
    abandoned) with the operation's existing error code.
    """
    rule = RULES[event]
    if not _allowed(rule, stored, expires_at, now):
        status = effective_status(stored, expires_at, now)
        raise Conflict(rule.refusal.format(status=status.value), code=rule.code)
    return move_of(event)


def move_of(event: Event) -> Move:
    """``event``'s move, undecided: for a row whose state the store's compare-and-set
    is left to check (settling a session this process claimed)."""
    rule = RULES[event]
    return Move(event, rule.source, rule.target, rule.expiry, rule.payment_status)


def allows(event: Event, stored: Status, expires_at: datetime, now: datetime) -> bool:
    return _allowed(RULES[event], stored, expires_at, now)


def payment_status_after(amount_total: int, refunded: int) -> PaymentStatus:
    """A paid session's payment status once ``refunded`` of ``amount_total`` is given back."""
    if refunded <= 0:
        return PaymentStatus.PAID
    if refunded >= amount_total:
        return PaymentStatus.REFUNDED
    return PaymentStatus.PARTIALLY_REFUNDED


def check_refundable(stored: Status, payment: PaymentStatus) -> None:
    """Refunds give back what a completed, paid session took (409 otherwise)."""
    if stored is Status.COMPLETED and payment in REFUNDABLE_PAYMENTS:
        return
    what = (
        "no payment was required"
        if payment is PaymentStatus.NO_PAYMENT_REQUIRED
        else f"it is {stored.value}"
    )
    raise Conflict(
        f"This checkout cannot be refunded: {what}. Only completed, paid sessions can.",
        code="checkout_not_refundable",
    )


def refund_move(amount_total: int, refunded: int) -> Move:
    """The payment-status move of a completed, paid session after a refund changed."""
    return Move(
        Event.REFUND,
        _COMPLETED,
        None,
        Expiry.ANY,
        payment_status_after(amount_total, refunded),
        REFUNDABLE_PAYMENTS,
    )
