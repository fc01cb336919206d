"""What each served UCP version declares: capabilities, the payment handler, the
``ucp`` metadata of responses and the business profile at ``/.well-known/ucp``.

2026-01-11 lists capabilities and handlers as arrays (handlers under the
profile's top-level ``payment``); 2026-04-08 keys both by reverse-domain name
and puts the handlers inside ``ucp``. Everything else about a response is the
same native session, mapped by :mod:`.mapping`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

V2026_01_11 = "2026-01-11"
V2026_04_08 = "2026-04-08"
#: Oldest first; the last is the current version of ``/.well-known/ucp``.
SUPPORTED = (V2026_01_11, V2026_04_08)
LATEST = SUPPORTED[-1]
VERSION_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")

CHECKOUT = "dev.ucp.shopping.checkout"
ORDER = "dev.ucp.shopping.order"
DISCOUNT = "dev.ucp.shopping.discount"
FULFILLMENT = "dev.ucp.shopping.fulfillment"
BUYER_CONSENT = "dev.ucp.shopping.buyer_consent"
AP2_MANDATE = "dev.ucp.shopping.ap2_mandate"

#: Capability -> the capability it extends (None: a root capability), and the
#: name of its spec page and schema file.
CAPABILITIES: dict[str, tuple[str | None, str, str]] = {
    CHECKOUT: (None, "checkout", "shopping/checkout.json"),
    ORDER: (None, "order", "shopping/order.json"),
    DISCOUNT: (CHECKOUT, "discount", "shopping/discount.json"),
    FULFILLMENT: (CHECKOUT, "fulfillment", "shopping/fulfillment.json"),
    BUYER_CONSENT: (CHECKOUT, "buyer-consent", "shopping/buyer_consent.json"),
    AP2_MANDATE: (CHECKOUT, "ap2-mandates", "shopping/ap2_mandate.json"),
}
#: What the business's profile configures of a capability (AP2: the mandate format).
CONFIGS: dict[str, dict[str, Any]] = {AP2_MANDATE: {"vp_formats_supported": {"dc+sd-jwt": {}}}}

#: The specification's test-mode mock payment handler.
HANDLER_ID = "mock_payment_handler"
HANDLER_NAME = "dev.ucp.mock_payment_handler"

Kind = Literal["checkout", "order"]


def _spec(version: str, page: str) -> str:
    return f"https://ucp.dev/{version}/specification/{page}"


def _schema(version: str, path: str) -> str:
    return f"https://ucp.dev/{version}/schemas/{path}"


def relevant(kind: Kind, active: frozenset[str]) -> list[str]:
    """The active capabilities a response of ``kind`` declares (root and its extensions)."""
    root = CHECKOUT if kind == "checkout" else ORDER
    return [
        name
        for name, (parent, _page, _schema_path) in CAPABILITIES.items()
        if name in active and (name == root or parent == root)
    ]


@dataclass(frozen=True, slots=True)
class Version:
    name: str

    @property
    def arrays(self) -> bool:
        """2026-01-11's list-shaped registries (capabilities, handlers)."""
        return self.name == V2026_01_11

    @property
    def signed_discounts(self) -> bool:
        """From 2026-04-08 on, discount totals are negative amounts."""
        return self.name != V2026_01_11

    def handler(self) -> dict[str, Any]:
        spec = f"https://ucp.dev/{self.name}/schemas/mock_payment_handler/spec"
        schema = f"https://ucp.dev/{self.name}/schemas/mock_payment_handler/config.json"
        if self.arrays:
            return {
                "id": HANDLER_ID,
                "name": HANDLER_NAME,
                "version": self.name,
                "spec": spec,
                "config_schema": schema,
                "instrument_schemas": [
                    _schema(self.name, "shopping/types/card_payment_instrument.json")
                ],
                "config": {"test_mode": True},
            }
        return {
            "id": HANDLER_ID,
            "version": self.name,
            "spec": spec,
            "schema": schema,
            "available_instruments": [{"type": "card"}],
            "config": {"test_mode": True},
        }

    def handlers(self) -> Any:
        if self.arrays:
            return [self.handler()]
        return {HANDLER_NAME: [self.handler()]}

    def metadata(self, kind: Kind, active: frozenset[str]) -> dict[str, Any]:
        """The ``ucp`` object of a checkout or order response."""
        names = relevant(kind, active)
        if self.arrays:
            return {
                "version": self.name,
                "capabilities": [{"name": name, "version": self.name} for name in names],
            }
        meta: dict[str, Any] = {
            "version": self.name,
            "status": "success",
            "capabilities": {name: [{"version": self.name}] for name in names},
        }
        if kind == "checkout":
            meta["payment_handlers"] = {
                HANDLER_NAME: [
                    {
                        "id": HANDLER_ID,
                        "version": self.name,
                        "available_instruments": [{"type": "card"}],
                    }
                ]
            }
        return meta

    def error_metadata(self) -> dict[str, Any]:
        return {"version": self.name, "status": "error"}

    def _capability_entries(self) -> list[tuple[str, dict[str, Any]]]:
        entries = []
        for name, (parent, page, schema_path) in CAPABILITIES.items():
            entry: dict[str, Any] = {
                "version": self.name,
                "spec": _spec(self.name, page),
                "schema": _schema(self.name, schema_path),
            }
            if parent is not None:
                entry["extends"] = parent
            if name in CONFIGS:
                entry["config"] = CONFIGS[name]
            entries.append((name, entry))
        return entries

    def profile(self, public_url: str) -> dict[str, Any]:
        """The business profile served at ``/.well-known/ucp`` for this version."""
        endpoint = f"{public_url}/ucp"
        if self.arrays:
            return {
                "ucp": {
                    "version": self.name,
                    "services": {
                        "dev.ucp.shopping": {
                            "version": self.name,
                            "spec": _spec(self.name, "overview"),
                            "rest": {
                                "schema": f"https://ucp.dev/{self.name}/services/shopping/"
                                "openapi.json",
                                "endpoint": endpoint,
                            },
                            "mcp": {
                                "schema": f"https://ucp.dev/{self.name}/services/shopping/"
                                "openrpc.json",
                                "endpoint": endpoint + "/mcp",
                            },
                        }
                    },
                    "capabilities": [
                        {"name": name, **entry} for name, entry in self._capability_entries()
                    ],
                },
                "payment": {"handlers": [self.handler()]},
            }
        ucp: dict[str, Any] = {
            "version": self.name,
            "services": {
                "dev.ucp.shopping": [
                    {
                        "version": self.name,
                        "spec": _spec(self.name, "overview"),
                        "transport": "rest",
                        "endpoint": endpoint,
                        "schema": f"https://ucp.dev/{self.name}/services/shopping/"
                        "rest.openapi.json",
                    },
                    {
                        "version": self.name,
                        "spec": _spec(self.name, "overview"),
                        "transport": "mcp",
                        "endpoint": endpoint + "/mcp",
                        "schema": f"https://ucp.dev/{self.name}/services/shopping/mcp.openrpc.json",
                    },
                ]
            },
            "capabilities": {name: [entry] for name, entry in self._capability_entries()},
            "payment_handlers": self.handlers(),
        }
        if self.name == LATEST:
            ucp["supported_versions"] = {
                older: f"{public_url}/.well-known/ucp/{older}"
                for older in SUPPORTED
                if older != LATEST
            }
        return {"ucp": ucp}


VERSIONS = {name: Version(name) for name in SUPPORTED}
ALL_CAPABILITIES = frozenset(CAPABILITIES)
#: What a platform is served that names its version and not its profile: AP2 is
#: negotiated only with a profile that declares it (and publishes its signing keys).
UNDECLARED_CAPABILITIES = ALL_CAPABILITIES - {AP2_MANDATE}


def for_platform(declared: str) -> Version | None:
    """The version a platform declaring ``declared`` is served at: its own when served,
    else the newest served one older than it (a UCP business handles platforms of its
    version or older); None for a malformed version or one newer than every served one
    (``version_unsupported``)."""
    if not VERSION_PATTERN.fullmatch(declared) or declared > LATEST:
        return None
    older = [name for name in SUPPORTED if name <= declared]
    return VERSIONS[older[-1] if older else SUPPORTED[0]]
