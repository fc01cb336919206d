"""Event and webhook endpoint models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from opencheckout.api.schemas.common import (
    MAX_URL_LENGTH,
    Metadata,
    MetadataUpdate,
    Model,
    StrictModel,
)

EndpointUrl = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_LENGTH)]
EventType = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WebhookEndpointCreate(StrictModel):
    url: EndpointUrl = Field(description="http(s) URL; private addresses are refused by default.")
    enabled_events: list[EventType] = Field(
        min_length=1, max_length=50, description="Event types, or ['*'] for all."
    )
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    """Your note about the endpoint (up to 500 characters)."""
    metadata: Metadata = Field(default_factory=dict)


class WebhookEndpointUpdate(StrictModel):
    url: EndpointUrl | None = None
    """The new http(s) URL; private addresses are refused by default."""
    enabled_events: list[EventType] | None = Field(None, min_length=1, max_length=50)
    """Replaces the event types sent (1 to 50), or ['*'] for all."""
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    """Your note about the endpoint (up to 500 characters)."""
    status: Literal["enabled", "disabled"] | None = None
    """`disabled` stops deliveries; `enabled` resumes them."""
    metadata: MetadataUpdate | None = None
    """Keys to set on the endpoint's metadata; an empty string or null removes a key."""


class RotateSecret(StrictModel):
    expires_in_seconds: int = Field(
        86_400, ge=0, le=7 * 86_400, description="How long the old secret keeps signing."
    )


class Redeliver(StrictModel):
    endpoint: str | None = Field(None, description="Only this endpoint; default: all subscribed.")


class WebhookEndpoint(Model):
    id: str
    """The endpoint's id (`we_…`)."""
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    """Always `webhook_endpoint`."""
    url: str
    """Where events are POSTed."""
    description: str | None
    """Your note about the endpoint, or null."""
    enabled_events: list[str]
    """The event types sent, or ['*'] for all."""
    status: Literal["enabled", "disabled"]
    """`enabled` (receives events) or `disabled`."""
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""
    secret: str | None = Field(None, description="Only on create and rotate_secret.")


class WebhookEndpointList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[WebhookEndpoint]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""


class WebhookDelivery(Model):
    id: str
    """The delivery attempt's id (`wa_…`)."""
    object: Literal["webhook_delivery"] = "webhook_delivery"
    """Always `webhook_delivery`."""
    endpoint: str
    """The endpoint (`we_…`) it was sent to."""
    event: str
    """The event (`evt_…`) it carried."""
    attempt: int
    """Which attempt this was for the event and endpoint, from 1."""
    succeeded: bool
    """Whether the endpoint answered 2xx in time."""
    status_code: int | None
    """The HTTP status the endpoint answered, or null when it did not answer (see `error`)."""
    latency_ms: int
    """How long the endpoint took to answer, in milliseconds."""
    error: str | None
    """Why the attempt failed without an answer (e.g. a timeout), or null."""
    response_body: str | None
    """The start of the endpoint's answer, or null."""
    created_at: str
    """When the attempt was made (ISO 8601, UTC)."""


class WebhookDeliveryList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[WebhookDelivery]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""


class Event(Model):
    id: str
    """The event's id (`evt_…`)."""
    object: Literal["event"] = "event"
    """Always `event`."""
    type: str
    """What happened, e.g. `checkout.completed`."""
    created_at: str
    """When it happened (ISO 8601, UTC)."""
    livemode: bool
    """True for an event in live mode, false in test mode."""
    data: dict[str, Any] = Field(description="`{object}`: the full snapshot at that moment.")


class EventList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[Event]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""


class RedeliveryResult(Model):
    object: Literal["event_redelivery"] = "event_redelivery"
    """Always `event_redelivery`."""
    event: str
    """The event (`evt_…`) queued again."""
    queued: int
    """How many deliveries were queued (one per endpoint)."""
