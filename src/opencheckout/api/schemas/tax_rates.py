"""Tax rate request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StringConstraints

from opencheckout.api.schemas.common import (
    Country,
    Metadata,
    MetadataUpdate,
    StrictModel,
    no_nul,
)
from opencheckout.api.schemas.pricing import TaxPercentage

DisplayName = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_nul)
]
State = Annotated[str, StringConstraints(max_length=100), AfterValidator(no_nul)]
Jurisdiction = Annotated[str, StringConstraints(max_length=200), AfterValidator(no_nul)]


class TaxRateCreate(StrictModel):
    display_name: DisplayName = Field(examples=["VAT"])
    percentage: TaxPercentage
    inclusive: StrictBool = Field(
        description="True: the tax is included in prices and extracted from them. "
        "False: it is added on top."
    )
    country: Country | None = None
    state: State | None = None
    jurisdiction: Jurisdiction | None = None
    active: StrictBool = True
    metadata: Metadata = Field(default_factory=dict)


class TaxRateUpdate(StrictModel):
    """``percentage`` and ``inclusive`` cannot change: create a new rate instead."""

    display_name: DisplayName | None = None
    country: Country | None = None
    state: State | None = None
    jurisdiction: Jurisdiction | None = None
    active: StrictBool | None = None
    metadata: MetadataUpdate | None = None


class TaxRate(BaseModel):
    id: str = Field(examples=["txr_1Mr3b8LkdIwHu7ixVwXyZ123"])
    object: Literal["tax_rate"] = "tax_rate"
    display_name: str
    percentage: float = Field(description="Exact to 4 decimals.", examples=[21.0, 8.875])
    inclusive: bool
    country: str | None
    state: str | None
    jurisdiction: str | None
    active: bool
    metadata: dict[str, str]
    livemode: bool
    created_at: str
    updated_at: str


class TaxRateList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[TaxRate]
    has_more: bool
