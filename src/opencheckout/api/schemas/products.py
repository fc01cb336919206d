"""Product (catalog) request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StringConstraints

from opencheckout.api.schemas.common import (
    Amount,
    Currency,
    Metadata,
    MetadataUpdate,
    StrictModel,
    no_nul,
)
from opencheckout.api.schemas.pricing import ProductId, TaxRateIds

ProductName = Annotated[
    str, StringConstraints(min_length=1, max_length=250), AfterValidator(no_nul)
]
Description = Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_nul)]


class ProductCreate(StrictModel):
    id: ProductId
    name: ProductName
    description: Description | None = None
    unit_amount: Amount = Field(description="Price of one unit, in the currency's minor unit.")
    currency: Currency
    tax_rates: TaxRateIds = Field(
        default_factory=list, description="Tax rate ids line items of this product carry."
    )
    active: StrictBool = True
    metadata: Metadata = Field(default_factory=dict)


class ProductUpdate(StrictModel):
    """Only the fields sent change. Open sessions keep the values they were created with."""

    name: ProductName | None = None
    description: Description | None = None
    unit_amount: Amount | None = None
    currency: Currency | None = None
    tax_rates: TaxRateIds | None = None
    active: StrictBool | None = None
    metadata: MetadataUpdate | None = None


class Product(BaseModel):
    id: str = Field(examples=["sku-shirt"])
    object: Literal["product"] = "product"
    name: str
    description: str | None
    unit_amount: int
    currency: str
    tax_rates: list[str]
    active: bool
    metadata: dict[str, str]
    livemode: bool
    created_at: str
    updated_at: str


class ProductList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[Product]
    has_more: bool
