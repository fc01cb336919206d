"""The buyer's quantities and custom fields on the hosted page: reading, checking
(server-side, the page's only authority) and turning them into an update.

A line whose quantity the buyer may adjust posts ``qty_<line id>``; a custom
field posts ``cf_<key>``. Errors go into the submission's ``errors`` under those
names, already translated (they carry bounds), so the template shows them as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opencheckout.domain import custom_fields
from opencheckout.domain.custom_fields import bounds_of


def _(message: str) -> str:
    return message


QUANTITY_RANGE = _("Choose a quantity from %(minimum)s to %(maximum)s.")
REQUIRED = _("This field is required.")
DIGITS_ONLY = _("Enter digits only.")
TOO_SHORT = _("Enter at least %(count)s characters.")
TOO_LONG = _("Enter at most %(count)s characters.")
NOT_AN_OPTION = _("Choose an option from the list.")
#: Labels of the page's controls (extracted here, used by the template).
LABELS = (
    _("Quantity of %(name)s"),
    _("Decrease the quantity of %(name)s"),
    _("Increase the quantity of %(name)s"),
    _("Additional information"),
    _("Select an option"),
    _("Update total"),
)

QUANTITY_PREFIX = "qty_"
FIELD_PREFIX = "cf_"
#: Longest quantity text read (999999 is the largest quantity).
_MAX_QUANTITY_DIGITS = 6


@dataclass(slots=True)
class Extras:
    """What the buyer posted for adjustable lines (by line id) and custom fields (by key)."""

    quantities: dict[str, str]
    fields: dict[str, str]


def read(form: Mapping[str, Any], data: Mapping[str, Any]) -> Extras:
    quantities: dict[str, str] = {}
    for line in data.get("line_items") or []:
        raw = form.get(QUANTITY_PREFIX + line["id"])
        if bounds_of(line) is not None and isinstance(raw, str):
            quantities[line["id"]] = raw.strip()
    fields: dict[str, str] = {}
    for field in data.get("custom_fields") or []:
        raw = form.get(FIELD_PREFIX + field["key"])
        if isinstance(raw, str):
            fields[field["key"]] = raw
    return Extras(quantities, fields)


def quantity_changes(
    extras: Extras,
    lines: Sequence[Mapping[str, Any]],
    errors: dict[str, str],
    gettext: Callable[[str], str],
) -> list[dict[str, Any]]:
    """``line_items`` by id for the quantities that changed and lie within bounds;
    an out-of-range or malformed one gets its field error instead."""
    changes: list[dict[str, Any]] = []
    for line in lines:
        raw = extras.quantities.get(line["id"])
        bounds = bounds_of(line)
        if raw is None or bounds is None:
            continue
        quantity = (
            int(raw)
            if raw.isascii() and raw.isdigit() and len(raw) <= _MAX_QUANTITY_DIGITS
            else None
        )
        if quantity is None or not bounds.allows(quantity):
            errors[QUANTITY_PREFIX + line["id"]] = (
                gettext(QUANTITY_RANGE)
                .replace("%(minimum)s", str(bounds.minimum))
                .replace("%(maximum)s", str(bounds.maximum))
            )
        elif quantity != line["quantity"]:
            changes.append({"id": line["id"], "quantity": quantity})
    return changes


def field_values(
    extras: Extras,
    fields: Sequence[Mapping[str, Any]],
    errors: dict[str, str],
    gettext: Callable[[str], str],
    *,
    require: bool,
) -> dict[str, str | None]:
    """``custom_field_values`` for the valid answers that changed; a bad answer (or,
    with ``require``, a required one left empty) gets its field error instead."""
    changes: dict[str, str | None] = {}
    for field in fields:
        key = field["key"]
        if key not in extras.fields:
            continue
        value = custom_fields.normalize_value(extras.fields[key])
        problem = custom_fields.value_problem(field, value)
        if value is None and require and not field.get("optional"):
            errors[FIELD_PREFIX + key] = gettext(REQUIRED)
        elif problem is not None:
            errors[FIELD_PREFIX + key] = _problem_text(problem, gettext)
        elif value != field.get("value"):
            changes[key] = value
    return changes


def _problem_text(problem: custom_fields.Problem, gettext: Callable[[str], str]) -> str:
    if problem.code == "not_digits":
        return gettext(DIGITS_ONLY)
    if problem.code == "not_an_option":
        return gettext(NOT_AN_OPTION)
    message = TOO_SHORT if problem.code == "too_short" else TOO_LONG
    return gettext(message).replace("%(count)s", str(problem.bound))


def field_name_of_missing(path: str) -> str | None:
    """``custom_fields.<key>`` (a ``missing_fields`` entry) -> the form field's name."""
    prefix = "custom_fields."
    return FIELD_PREFIX + path[len(prefix) :] if path.startswith(prefix) else None


def typed_values(extras: Extras) -> dict[str, str]:
    """What the buyer typed, by form field name (shown again when the page re-renders)."""
    return {
        **{QUANTITY_PREFIX + line_id: raw for line_id, raw in extras.quantities.items()},
        **{FIELD_PREFIX + key: raw for key, raw in extras.fields.items()},
    }


def quantity_control(line: Mapping[str, Any], typed: Mapping[str, str]) -> dict[str, Any] | None:
    """The quantity control of an adjustable line (field name, bounds, value shown)."""
    bounds = bounds_of(line)
    if bounds is None:
        return None
    name = QUANTITY_PREFIX + line["id"]
    return {
        "field": name,
        "minimum": bounds.minimum,
        "maximum": bounds.maximum,
        "value": typed.get(name) or str(line["quantity"]),
    }


def view_fields(
    fields: Sequence[Mapping[str, Any]], typed: Mapping[str, str], locale: str
) -> list[dict[str, Any]]:
    """The custom fields as the template renders them, labels in ``locale``."""
    views = []
    for field in fields:
        name = FIELD_PREFIX + field["key"]
        views.append(
            {
                "name": name,
                "label": custom_fields.label_for(field, locale),
                "type": field["type"],
                "optional": bool(field.get("optional")),
                "options": field.get("options") or [],
                "minimum_length": field.get("minimum_length"),
                "maximum_length": field.get("maximum_length") or custom_fields.MAX_VALUE_LENGTH,
                "value": typed[name] if name in typed else (field.get("value") or ""),
            }
        )
    return views
