"""Tax rate request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StringConstraints

from opencheckout.api.schemas.common import (
    Country,
    Metadata,
    MetadataUpdate,
    Model,
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
    """The rate's name shown to buyers, e.g. "VAT" (1 to 100 characters)."""
    percentage: TaxPercentage
    inclusive: StrictBool = Field(
        description="True: the tax is included in prices and extracted from them. "
        "False: it is added on top."
    )
    country: Country | None = None
    """ISO 3166-1 alpha-2 country code the rate is for, e.g. `ES` (informational)."""
    state: State | None = None
    """The state or region the rate is for (up to 100 characters; informational)."""
    jurisdiction: Jurisdiction | None = None
    """The tax authority's name, shown on invoices (up to 200 characters)."""
    active: StrictBool = True
    """Whether new sessions may use the rate (default true); an inactive one is refused
    (`tax_rate_inactive`)."""
    metadata: Metadata = Field(default_factory=dict)


class TaxRateUpdate(StrictModel):
    """``percentage`` and ``inclusive`` cannot change: create a new rate instead."""

    display_name: DisplayName | None = None
    """The rate's name shown to buyers (1 to 100 characters)."""
    country: Country | None = None
    """ISO 3166-1 alpha-2 country code the rate is for."""
    state: State | None = None
    """The state or region the rate is for (up to 100 characters)."""
    jurisdiction: Jurisdiction | None = None
    """The tax authority's name (up to 200 characters)."""
    active: StrictBool | None = None
    """False stops new sessions from using the rate; sessions that have it keep it."""
    metadata: MetadataUpdate | None = None
    """Keys to set on the rate's metadata; an empty string or null removes a key."""


class TaxRate(Model):
    id: str = Field(examples=["txr_1Mr3b8LkdIwHu7ixVwXyZ123"])
    """The rate's id (`txr_…`)."""
    object: Literal["tax_rate"] = "tax_rate"
    """Always `tax_rate`."""
    display_name: str
    """The rate's name shown to buyers."""
    percentage: float = Field(description="Exact to 4 decimals.", examples=[21.0, 8.875])
    inclusive: bool
    """True: the tax is included in prices and extracted from them; false: added on top."""
    country: str | None
    """ISO 3166-1 alpha-2 country code (uppercase), or null."""
    state: str | None
    """The state or region, or null."""
    jurisdiction: str | None
    """The tax authority's name, or null."""
    active: bool
    """Whether new sessions may use the rate."""
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class TaxRateList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[TaxRate]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""
