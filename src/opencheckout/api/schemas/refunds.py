"""Refund request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from opencheckout.api.schemas.common import Metadata, Model, ShortText, StrictModel

RefundStatus = Literal["pending", "succeeded", "failed"]


class RefundCreate(StrictModel):
    amount: Annotated[StrictInt, Field(ge=1, le=999_999_999_999)] | None = Field(
        None,
        description="In the session currency's minor unit; omitted refunds all that remains.",
    )
    reason: ShortText | None = Field(
        None, description="Why, e.g. `requested_by_customer`, `duplicate`, `fraudulent`."
    )
    metadata: Metadata = Field(default_factory=dict)


class Refund(Model):
    id: str
    """The refund's id (`re_…`)."""
    object: Literal["refund"] = "refund"
    """Always `refund`."""
    checkout: str
    """The refunded session (`cs_…`)."""
    amount: int
    """What is given back, in the session currency's minor unit."""
    currency: str
    """ISO 4217 currency code (lowercase)."""
    status: RefundStatus
    """`pending` (sent to the processor), `succeeded` or `failed` (see `failure_message`)."""
    reason: str | None
    """Why, as given, or null."""
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    failure_message: str | None
    """Why the processor refused the refund, or null."""
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""


class RefundList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[Refund]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""
