"""Custom fields a merchant asks the buyer to fill in, and buyer-adjustable quantities (pure).

A session carries at most :data:`MAX_CUSTOM_FIELDS` custom fields, each stored as

    {"key", "label": {"custom", "translations": {locale: text}}, "type", "optional",
     "options": [{"label", "value"}] | None, "minimum_length", "maximum_length", "value"}

``type`` is ``text`` (any text), ``numeric`` (ASCII digits only) or ``dropdown``
(one of ``options``' values). The length bounds apply to text and numeric
values. A required field without a value keeps the session from being paid:
:func:`missing_keys` names it as ``custom_fields.<key>``.

What is wrong with a value is said as a :class:`Problem` (a code plus the
bound involved), so the API can answer in English and the hosted page in
the buyer's language from the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opencheckout.domain.errors import InvalidValue

MAX_CUSTOM_FIELDS = 3
#: Longest value any text or numeric field holds (and the largest ``maximum_length``).
MAX_VALUE_LENGTH = 255
TYPES = ("text", "numeric", "dropdown")

#: Defaults of ``adjustable_quantity``.
DEFAULT_MINIMUM_QUANTITY = 1
DEFAULT_MAXIMUM_QUANTITY = 99


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a value is refused: ``required``, ``too_short``, ``too_long``, ``not_digits``,
    ``not_an_option``; ``bound`` is the length limit for the length problems."""

    code: str
    bound: int | None = None

    def message(self, field: Mapping[str, Any]) -> str:
        """In English, for the API."""
        key = field["key"]
        if self.code == "required":
            return f"Custom field '{key}' is required."
        if self.code == "too_short":
            return f"Custom field '{key}' must be at least {self.bound} characters long."
        if self.code == "too_long":
            return f"Custom field '{key}' must be at most {self.bound} characters long."
        if self.code == "not_digits":
            return f"Custom field '{key}' is numeric: digits 0-9 only."
        values = ", ".join(option["value"] for option in field.get("options") or [])
        return f"Custom field '{key}' must be one of: {values}."


def normalize_value(value: str | None) -> str | None:
    """Surrounding whitespace is dropped; an empty value is no value."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def value_problem(field: Mapping[str, Any], value: str | None) -> Problem | None:
    """Whether ``value`` (already normalized) is acceptable for ``field``; None is
    acceptable here (a missing required value is reported by :func:`missing_keys`)."""
    if value is None:
        return None
    kind = field["type"]
    if kind == "dropdown":
        options = [option["value"] for option in field.get("options") or []]
        return None if value in options else Problem("not_an_option")
    if kind == "numeric" and not (value.isascii() and value.isdigit()):
        return Problem("not_digits")
    minimum = field.get("minimum_length")
    maximum = field.get("maximum_length") or MAX_VALUE_LENGTH
    if minimum is not None and len(value) < minimum:
        return Problem("too_short", minimum)
    if len(value) > maximum:
        return Problem("too_long", maximum)
    return None


def missing_keys(fields: Iterable[Mapping[str, Any]]) -> list[str]:
    """``custom_fields.<key>`` for every required field without a value, in order."""
    return [
        f"custom_fields.{field['key']}"
        for field in fields
        if not field.get("optional") and field.get("value") is None
    ]


def label_for(field: Mapping[str, Any], locale: str) -> str:
    """The label in ``locale`` when the merchant translated it, else the merchant's text."""
    label = field["label"]
    translations = label.get("translations") or {}
    text = translations.get(locale)
    if text is None and "-" in locale:
        text = translations.get(locale.split("-", 1)[0])
    return str(text if text is not None else label["custom"])


def kept_values(
    old: Sequence[Mapping[str, Any]], new: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """New definitions keep the value a field of the same key and type had, if still valid."""
    previous = {field["key"]: field for field in old}
    for field in new:
        before = previous.get(field["key"])
        if field.get("value") is not None or before is None or before["type"] != field["type"]:
            continue
        value = before.get("value")
        if value_problem(field, value) is None:
            field["value"] = value
    return list(new)


@dataclass(frozen=True, slots=True)
class QuantityBounds:
    minimum: int
    maximum: int

    def allows(self, quantity: int) -> bool:
        return self.minimum <= quantity <= self.maximum

    def message(self, quantity: int) -> str:
        return (
            f"Quantity {quantity} is out of range: this line allows "
            f"{self.minimum} to {self.maximum}."
        )


def bounds_of(line: Mapping[str, Any]) -> QuantityBounds | None:
    """The buyer's bounds for a line whose quantity is adjustable, else None."""
    adjustable = line.get("adjustable_quantity")
    if not adjustable or not adjustable.get("enabled"):
        return None
    return QuantityBounds(int(adjustable["minimum"]), int(adjustable["maximum"]))


def definitions(raw_fields: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The stored shape of the merchant's (shape-validated) definitions, or a 422
    naming the part that breaks a rule."""
    fields: list[dict[str, Any]] = []
    keys: list[str] = []
    if len(raw_fields) > MAX_CUSTOM_FIELDS:
        raise InvalidValue(
            f"custom_fields must have at most {MAX_CUSTOM_FIELDS} items.",
            param="custom_fields",
        )
    for index, raw in enumerate(raw_fields):
        at = f"custom_fields[{index}]"
        key = raw["key"]
        if key in keys:
            raise InvalidValue(
                f"Custom field key '{key}' is used twice; keys are unique per session.",
                code="custom_field_duplicate",
                param=f"{at}.key",
            )
        keys.append(key)
        _check_options(raw, at)
        _check_lengths(raw, at)
        fields.append(_definition(raw))
    return fields


def _check_options(raw: Mapping[str, Any], at: str) -> None:
    """A dropdown has options with distinct values and no lengths; other kinds no options."""
    kind = raw["type"]
    options = raw.get("options")
    if kind != "dropdown":
        if options is not None:
            raise InvalidValue(
                f"options apply to dropdown fields, not {kind} ones.", param=f"{at}.options"
            )
        return
    if not options:
        raise InvalidValue(
            "A dropdown field needs options: [{label, value}, ...].",
            code="parameter_missing",
            param=f"{at}.options",
        )
    seen: list[str] = []
    for number, option in enumerate(options):
        if option["value"] in seen:
            raise InvalidValue(
                f"Option value '{option['value']}' is used twice.",
                param=f"{at}.options[{number}].value",
            )
        seen.append(option["value"])
    for name in ("minimum_length", "maximum_length"):
        if raw.get(name) is not None:
            raise InvalidValue(
                f"{name} applies to text and numeric fields, not dropdowns.",
                param=f"{at}.{name}",
            )


def _check_lengths(raw: Mapping[str, Any], at: str) -> None:
    minimum, maximum = raw.get("minimum_length"), raw.get("maximum_length")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise InvalidValue(
            f"minimum_length ({minimum}) may not exceed maximum_length ({maximum}).",
            param=f"{at}.minimum_length",
        )


def _definition(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One checked definition as stored: copies of its parts, and no value yet."""
    kind = raw["type"]
    options = raw.get("options")
    label = raw["label"]
    return {
        "key": raw["key"],
        "label": {
            "custom": label["custom"],
            "translations": dict(label.get("translations") or {}),
        },
        "type": kind,
        "optional": bool(raw.get("optional", False)),
        "options": (
            [{"label": o["label"], "value": o["value"]} for o in options]
            if kind == "dropdown" and options
            else None
        ),
        "minimum_length": raw.get("minimum_length"),
        "maximum_length": raw.get("maximum_length"),
        "value": None,
    }


def set_values(
    fields: list[dict[str, Any]], values: Mapping[str, str | None], *, param: str
) -> None:
    """Write ``values`` (by key) into ``fields``, each checked by the field's rule;
    ``param`` names the object they came in (``custom_field_values``)."""
    by_key = {field["key"]: field for field in fields}
    for key, raw in values.items():
        field = by_key.get(key)
        if field is None:
            known = ", ".join(by_key) or "none"
            raise InvalidValue(
                f"This checkout has no custom field '{key[:40]}' (it has: {known}).",
                code="custom_field_unknown",
                param=f"{param}.{key[:40]}",
            )
        value = normalize_value(raw)
        problem = value_problem(field, value)
        if problem is not None:
            raise InvalidValue(
                problem.message(field), code="custom_field_invalid", param=f"{param}.{key}"
            )
        field["value"] = value
