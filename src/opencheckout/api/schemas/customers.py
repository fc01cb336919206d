"""Customer and saved-address request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from opencheckout.api.schemas.common import (
    Country,
    Email,
    Metadata,
    MetadataUpdate,
    Model,
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
    """The recipient's name (up to 250 characters)."""
    line1: ShortText | None = None
    """Street address, first line (up to 500 characters)."""
    line2: ShortText | None = None
    """Street address, second line: apartment, suite, floor (up to 500 characters)."""
    city: ShortText | None = None
    """City, town or locality (up to 500 characters)."""
    state: ShortText | None = None
    """State, province or region (up to 500 characters)."""
    postal_code: PostalCode | None = None
    """Postal or ZIP code (up to 32 characters)."""
    country: Country | None = None
    """ISO 3166-1 alpha-2 country code, e.g. `ES`; accepted in any case, returned uppercase."""


class CustomerCreate(StrictModel):
    email: Email | None = Field(None, description="Unique per account and mode, in any case.")
    name: Name | None = None
    """The customer's full name (up to 250 characters)."""
    phone: Phone | None = None
    """The customer's phone number, as typed (up to 40 characters)."""
    metadata: Metadata = Field(default_factory=dict)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=50)
    """Addresses to save with the customer (up to 50); more can be added under `/addresses`."""


class CustomerUpdate(StrictModel):
    email: Email | None = None
    """The new email address (unique per account and mode, in any case)."""
    name: Name | None = None
    """The customer's full name (up to 250 characters)."""
    phone: Phone | None = None
    """The customer's phone number, as typed (up to 40 characters)."""
    metadata: MetadataUpdate | None = None
    """Keys to set on the customer's metadata; an empty string or null removes a key."""


class Address(Model):
    id: str = Field(examples=["addr_1Mr3b8LkdIwHu7ixVwXyZ123"])
    """The saved address's id (`addr_…`)."""
    object: Literal["address"] = "address"
    """Always `address`."""
    name: str | None
    """The recipient's name, or null."""
    line1: str | None
    """Street address, first line, or null."""
    line2: str | None
    """Street address, second line (apartment, suite), or null."""
    city: str | None
    """City, town or locality, or null."""
    state: str | None
    """State, province or region, or null."""
    postal_code: str | None
    """Postal or ZIP code, or null."""
    country: str | None
    """ISO 3166-1 alpha-2 country code (uppercase), or null."""


class Customer(Model):
    id: str = Field(examples=["cus_1Mr3b8LkdIwHu7ixVwXyZ123"])
    """The customer's id (`cus_…`); a session links to it with `customer: "cus_…"`."""
    object: Literal["customer"] = "customer"
    """Always `customer`."""
    email: str | None
    """The customer's email address (unique per account and mode), or null."""
    name: str | None
    """The customer's full name, or null."""
    phone: str | None
    """The customer's phone number, as given, or null."""
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    addresses: list[Address]
    """The customer's saved addresses (up to 50)."""
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class CustomerList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[Customer]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""
