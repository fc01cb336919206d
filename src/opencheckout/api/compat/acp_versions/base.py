"""What a version adapter is, and the helpers the adapters share."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from opencheckout.api.compat.acp_errors import AcpError

Operation = Literal["create", "update", "complete", "cancel"]
Json = dict[str, Any]


def _same(_operation: Operation, body: Json) -> Json:
    return body


def _unchanged(session: Json) -> Json:
    return session


@dataclass(frozen=True, slots=True)
class Adapter:
    """One ACP version: how its requests become 2026-04-17 ones and back."""

    name: str
    #: Whether every POST must carry ``Idempotency-Key`` (2026-04-17 made it required).
    key_required: bool
    #: An agent's request body -> the 2026-04-17 body (may raise :class:`AcpError`).
    upgrade: Callable[[Operation, Json], Json] = _same
    #: A 2026-04-17 ``CheckoutSession`` -> this version's.
    session: Callable[[Json], Json] = _unchanged
    #: 2026-04-17 JSONPath prefixes -> this version's, applied to error and message params.
    paths: Sequence[tuple[str, str]] = field(default_factory=tuple)
    #: Error fields this version's ``Error`` lacks.
    error_drops: frozenset[str] = frozenset()

    def path(self, param: str | None) -> str | None:
        if param is None:
            return None
        for pattern, replacement in self.paths:
            rewritten = re.sub(pattern, replacement, param)
            if rewritten != param:
                return rewritten
        return param

    def error(self, body: Json) -> Json:
        out = {key: value for key, value in body.items() if key not in self.error_drops}
        if "param" in out:
            out["param"] = self.path(out["param"])
        return out


def pick(source: Json, keys: Sequence[str]) -> Json:
    """The keys of ``source`` this version knows, in the spec's order."""
    return {key: source[key] for key in keys if key in source}


def require_keys(body: Json, keys: Sequence[str]) -> None:
    for key in keys:
        if key not in body:
            raise AcpError(400, "missing", f"Missing required field: $.{key}.", param=f"$.{key}")


def whole_quantity(value: Any, param: str) -> Any:
    """Early versions typed ``quantity`` as a number: accept 2.0, refuse 2.5."""
    if isinstance(value, float):
        if not value.is_integer():
            raise AcpError(
                400,
                "invalid",
                f"Invalid {param}: a quantity is a whole number of items.",
                param=param,
            )
        return int(value)
    return value


def legacy_items(items: Any) -> list[Any]:
    """``items: [{id, quantity}]`` (before 2026-01-30) -> ``line_items``."""
    if not isinstance(items, list):
        return items  # type: ignore[no-any-return]  # the model reports the wrong type
    out: list[Any] = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and "quantity" in item:
            item = {
                **item,
                "quantity": whole_quantity(item["quantity"], f"$.items[{index}].quantity"),
            }
        out.append(item)
    return out


def legacy_payment(data: Any) -> Any:
    """``payment_data: {token, provider, billing_address}`` -> a delegated-token handler."""
    if not isinstance(data, dict) or "handler_id" in data:
        return data
    unknown = set(data) - {"token", "provider", "billing_address"}
    if unknown:
        name = sorted(unknown)[0][:64]
        raise AcpError(
            400, "invalid", f"Unknown field: $.payment_data.{name}.", param=f"$.payment_data.{name}"
        )
    for key in ("token", "provider"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise AcpError(
                400,
                "missing",
                f"Missing required field: $.payment_data.{key}.",
                param=f"$.payment_data.{key}",
            )
    if data["provider"] != "stripe":
        raise AcpError(
            400,
            "unsupported_payment_provider",
            f"Unknown payment provider '{data['provider'][:64]}'; "
            "this seller accepts 'stripe' tokens.",
            param="$.payment_data.provider",
        )
    upgraded: Json = {
        "handler_id": "card_tokenized",
        "instrument": {"type": "card", "credential": {"type": "spt", "token": data["token"]}},
    }
    if "billing_address" in data:
        upgraded["billing_address"] = data["billing_address"]
    return upgraded


#: The early flat line amounts <- the 2026-04-17 line ``totals[]`` types.
LINE_TOTALS = {
    "base_amount": "items_base_amount",
    "discount": "discount",
    "subtotal": "subtotal",
    "tax": "tax",
    "total": "total",
}


def flat_line(line: Json) -> Json:
    """A 2026-04-17 line item -> the flat amounts of the early ``LineItem``."""
    out: Json = {"id": line["id"], "item": {"id": line["item"]["id"], "quantity": line["quantity"]}}
    by_type = {total["type"]: int(total["amount"]) for total in line.get("totals", [])}
    out.update({key: by_type.get(source, 0) for key, source in LINE_TOTALS.items()})
    return out


def option_amount(option: Json) -> int:
    return next((t["amount"] for t in option.get("totals", []) if t["type"] == "total"), 0)


def legacy_buyer(buyer: Json | None) -> Json | None:
    """Early ``Buyer``s require first and last name: empty when the buyer gave none."""
    if buyer is None:
        return None
    out: Json = {
        "first_name": buyer.get("first_name", ""),
        "last_name": buyer.get("last_name", ""),
        "email": buyer["email"],
    }
    if "phone_number" in buyer:
        out["phone_number"] = buyer["phone_number"]
    return out


def plain_address(address: Json) -> Json:
    return pick(
        address, ("name", "line_one", "line_two", "city", "state", "country", "postal_code")
    )


def legacy_messages(
    messages: Sequence[Json],
    adapter_path: Callable[[str | None], str | None],
    codes: frozenset[str],
) -> list[Json]:
    """Info and error messages only (warnings became info); codes this version lacks -> invalid."""
    out: list[Json] = []
    for message in messages:
        kind = "error" if message["type"] == "error" else "info"
        entry: Json = {"type": kind}
        if kind == "error":
            entry["code"] = message.get("code") if message.get("code") in codes else "invalid"
        param = adapter_path(message.get("param"))
        if param is not None:
            entry["param"] = param
        entry["content_type"] = message["content_type"]
        entry["content"] = message["content"]
        out.append(entry)
    return out


LEGACY_ERROR_CODES = frozenset(
    {"missing", "invalid", "out_of_stock", "payment_declined", "requires_sign_in", "requires_3ds"}
)


def legacy_links(links: Sequence[Json], types: frozenset[str]) -> list[Json]:
    return [pick(link, ("type", "url")) for link in links if link.get("type") in types]


def order_ref(order: Json) -> Json:
    return pick(order, ("id", "checkout_session_id", "permalink_url"))


def nested_options(entries: Any) -> Any:
    """``[{type, shipping: {option_id, item_ids}}]`` -> ``[{type, option_id, item_ids}]``."""
    if not isinstance(entries, list):
        return entries
    out: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict) and "option_id" not in entry:
            kind = entry.get("type", "shipping")
            inner = entry.get(kind)
            entry = {"type": kind, **(inner if isinstance(inner, dict) else {})}
        out.append(entry)
    return out
