"""Event and webhook endpoint models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from opencheckout.api.schemas.common import MAX_URL_LENGTH, Metadata, MetadataUpdate, StrictModel

EndpointUrl = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)]
EventType = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WebhookEndpointCreate(StrictModel):
    url: EndpointUrl = Field(description="http(s) URL; private addresses are refused by default.")
    enabled_events: list[EventType] = Field(
        min_length=1, max_length=50, description="Event types, or ['*'] for all."
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    metadata: Metadata = Field(default_factory=dict)


class WebhookEndpointUpdate(StrictModel):
    url: EndpointUrl | None = None
    enabled_events: list[EventType] | None = Field(None, min_length=1, max_length=50)
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    status: Literal["enabled", "disabled"] | None = None
    metadata: MetadataUpdate | None = None


class RotateSecret(StrictModel):
    expires_in_seconds: int = Field(
        86_400, ge=0, le=7 * 86_400, description="How long the old secret keeps signing."
    )


class Redeliver(StrictModel):
    endpoint: str | None = Field(None, description="Only this endpoint; default: all subscribed.")


class WebhookEndpoint(BaseModel):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    description: str | None
    enabled_events: list[str]
    status: Literal["enabled", "disabled"]
    livemode: bool
    metadata: dict[str, str]
    created_at: str
    updated_at: str
    secret: str | None = Field(None, description="Only on create and rotate_secret.")


class WebhookEndpointList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[WebhookEndpoint]
    has_more: bool


class WebhookDelivery(BaseModel):
    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint: str
    event: str
    attempt: int
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None
    created_at: str


class WebhookDeliveryList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[WebhookDelivery]
    has_more: bool


class Event(BaseModel):
    id: str
    object: Literal["event"] = "event"
    type: str
    created_at: str
    livemode: bool
    data: dict[str, Any] = Field(description="`{object}`: the full snapshot at that moment.")


class EventList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[Event]
    has_more: bool


class RedeliveryResult(BaseModel):
    object: Literal["event_redelivery"] = "event_redelivery"
    event: str
    queued: int
