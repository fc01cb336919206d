"""Customer and saved-address request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from opencheckout.api.schemas.common import (
    Country,
    Email,
    Metadata,
    MetadataUpdate,
    ShortText,
    StrictModel,
    no_nul,
)

CustomerId = Annotated[
    str,
    StringConstraints(min_length=5, max_length=40, pattern=r"^cus_[A-Za-z0-9]+$"),
    Field(description="A customer's id (`cus_…`).", examples=["cus_4eC39HqLyjWDarjtT1zdp7dc"]),
]
Name = Annotated[str, StringConstraints(max_length=250), AfterValidator(no_nul)]
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(no_nul)]
PostalCode = Annotated[str, StringConstraints(max_length=32), AfterValidator(no_nul)]


class AddressIn(StrictModel):
    name: Name | None = None
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    state: ShortText | None = None
    postal_code: PostalCode | None = None
    country: Country | None = None


class CustomerCreate(StrictModel):
    email: Email | None = Field(None, description="Unique per account and mode, in any case.")
    name: Name | None = None
    phone: Phone | None = None
    metadata: Metadata = Field(default_factory=dict)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=50)


class CustomerUpdate(StrictModel):
    email: Email | None = None
    name: Name | None = None
    phone: Phone | None = None
    metadata: MetadataUpdate | None = None


class Address(BaseModel):
    id: str = Field(examples=["addr_1Mr3b8LkdIwHu7ixVwXyZ123"])
    object: Literal["address"] = "address"
    name: str | None
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None


class Customer(BaseModel):
    id: str = Field(examples=["cus_1Mr3b8LkdIwHu7ixVwXyZ123"])
    object: Literal["customer"] = "customer"
    email: str | None
    name: str | None
    phone: str | None
    metadata: dict[str, str]
    addresses: list[Address]
    livemode: bool
    created_at: str
    updated_at: str


class CustomerList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[Customer]
    has_more: bool
