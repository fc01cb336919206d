"""What a list request asks for: the typed filters api and pages build and the store applies.

Plain values only (no SQL): the store turns each field into its conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from opencheckout.domain.lifecycle import Status


@dataclass(slots=True)
class CheckoutFilters:
    statuses: list[Status] = field(default_factory=list)
    customer: str | None = None
    email: str | None = None
    ids: list[str] = field(default_factory=list)
    product: str | None = None
    payment_status: str | None = None
    client_reference_id: str | None = None
    processor_id: str | None = None
    customers: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    group_keys: list[str] = field(default_factory=list)
    checkout_link: str | None = None
    created_gte: datetime | None = None
    created_gt: datetime | None = None
    created_lte: datetime | None = None
    created_lt: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderFilters:
    checkout: str | None = None
    customer: str | None = None
    status: str | None = None
    created_gte: datetime | None = None
    created_gt: datetime | None = None
    created_lte: datetime | None = None
    created_lt: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundFilters:
    checkout_id: str | None = None
    status: str | None = None
