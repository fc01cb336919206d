"""Product (catalog) request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

from opencheckout.api.schemas.common import (
    Amount,
    Currency,
    Metadata,
    MetadataUpdate,
    StrictModel,
    invalid,
    no_nul,
)
from opencheckout.api.schemas.pricing import ProductId, TaxRateIds

ProductName = Annotated[
    str, StringConstraints(min_length=1, max_length=250), AfterValidator(no_nul)
]
Description = Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_nul)]
MAX_STOCK = 1_000_000_000
Stock = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]


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
    stock: Stock | None = Field(None, description="Units left to sell; null: not tracked.")
    metadata: Metadata = Field(default_factory=dict)


class ProductUpdate(StrictModel):
    """Only the fields sent change. Open sessions keep the values they were created with."""

    name: ProductName | None = None
    description: Description | None = None
    unit_amount: Amount | None = None
    currency: Currency | None = None
    tax_rates: TaxRateIds | None = None
    active: StrictBool | None = None
    stock: Stock | None = Field(None, description="Sets the stock; null stops tracking it.")
    metadata: MetadataUpdate | None = None


class StockChange(StrictModel):
    """Exactly one of ``adjust`` (a signed change) and ``set`` (the new level)."""

    adjust: Annotated[StrictInt, Field(ge=-MAX_STOCK, le=MAX_STOCK)] | None = None
    set: Stock | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StockChange:
        if (self.adjust is None) == (self.set is None):
            raise invalid("parameter_invalid", "Give exactly one of 'adjust' and 'set'.")
        return self


class Product(BaseModel):
    id: str = Field(examples=["sku-shirt"])
    object: Literal["product"] = "product"
    name: str
    description: str | None
    unit_amount: int
    currency: str
    tax_rates: list[str]
    active: bool
    stock: int | None = Field(description="Units left to sell; null when not tracked.")
    metadata: dict[str, str]
    livemode: bool
    created_at: str
    updated_at: str


class ProductList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[Product]
    has_more: bool
