"""Refund request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt

from opencheckout.api.schemas.common import Metadata, ShortText, StrictModel

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


class Refund(BaseModel):
    id: str
    object: Literal["refund"] = "refund"
    checkout: str
    amount: int
    currency: str
    status: RefundStatus
    reason: str | None
    metadata: dict[str, str]
    failure_message: str | None
    livemode: bool
    created_at: str


class RefundList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[Refund]
    has_more: bool
