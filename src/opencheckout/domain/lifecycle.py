"""The checkout status machine.

    pending -> processing -> completed | failed
    failed  -> processing            (retry)
    pending | failed -> abandoned    (cancel, or inactivity past expires_at)

completed and abandoned are final. Expiry is evaluated on read so that a
session past ``expires_at`` is reported abandoned before any sweeper writes it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


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
