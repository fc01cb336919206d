"""Product (catalog) request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
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
    Model,
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
    """The name shown to buyers (1 to 250 characters)."""
    description: Description | None = None
    """A longer text shown under the name (up to 1000 characters)."""
    unit_amount: Amount = Field(description="Price of one unit, in the currency's minor unit.")
    currency: Currency
    tax_rates: TaxRateIds = Field(
        default_factory=list, description="Tax rate ids line items of this product carry."
    )
    active: StrictBool = True
    """Whether sessions may sell it (default true); an archived product is refused
    (`product_archived`)."""
    stock: Stock | None = Field(None, description="Units left to sell; null: not tracked.")
    metadata: Metadata = Field(default_factory=dict)


class ProductUpdate(StrictModel):
    """Only the fields sent change. Open sessions keep the values they were created with."""

    name: ProductName | None = None
    """The name shown to buyers (1 to 250 characters)."""
    description: Description | None = None
    """A longer text shown under the name (up to 1000 characters)."""
    unit_amount: Amount | None = None
    """Price of one unit, in the currency's minor unit."""
    currency: Currency | None = None
    """ISO 4217 currency code of `unit_amount`."""
    tax_rates: TaxRateIds | None = None
    """Replaces the tax rate ids (`txr_…`) line items of this product carry."""
    active: StrictBool | None = None
    """False archives the product (new sessions refuse it); true sells it again."""
    stock: Stock | None = Field(None, description="Sets the stock; null stops tracking it.")
    metadata: MetadataUpdate | None = None
    """Keys to set on the product's metadata; an empty string or null removes a key."""


class StockChange(StrictModel):
    """Exactly one of ``adjust`` (a signed change) and ``set`` (the new level)."""

    adjust: Annotated[StrictInt, Field(ge=-MAX_STOCK, le=MAX_STOCK)] | None = None
    """A signed change to the stock, e.g. -2 or 10; the stock never goes below 0 (409
    `insufficient_stock`)."""
    set: Stock | None = None
    """The new stock level (0 to 1000000000)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> StockChange:
        if (self.adjust is None) == (self.set is None):
            raise invalid("parameter_invalid", "Give exactly one of 'adjust' and 'set'.")
        return self


class Product(Model):
    id: str = Field(examples=["sku-shirt"])
    """The merchant's SKU."""
    object: Literal["product"] = "product"
    """Always `product`."""
    name: str
    """The name shown to buyers."""
    description: str | None
    """The text shown under the name, or null."""
    unit_amount: int
    """Price of one unit, in the currency's minor unit (e.g. cents)."""
    currency: str
    """ISO 4217 currency code (lowercase) of `unit_amount`."""
    tax_rates: list[str]
    """Tax rate ids (`txr_…`) line items of this product carry."""
    active: bool
    """Whether sessions may sell it (false: archived)."""
    stock: int | None = Field(description="Units left to sell; null when not tracked.")
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class ProductList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[Product]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""
