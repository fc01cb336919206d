"""Pricing a checkout session, from the merchant's request to exact amounts.

Two steps, kept apart so the arithmetic never depends on the database:

* :func:`apply_changes` reads the database for what a request changes: it
  fills line items from the catalog, snapshots the tax rates and coupons the
  session newly uses, and checks the shipping selection. Snapshots are what
  make a session stable: editing a coupon or a catalog price later does not
  silently re-price a session a buyer is looking at.
* :func:`reprice` is pure: it hands the document's lines and snapshots to
  :func:`opencheckout.domain.pricing.price_session` and writes every amount
  back (line amounts and taxes, discount amounts, ``tax_breakdown``).

The session document keeps, besides what the API shows:

* ``tax_rates``: ``{id: snapshot}`` for every rate a line or the defaults use;
* ``catalog_priced_lines``: indexes of lines whose price came from the
  catalog, which is in one currency, so the session's currency cannot change
  under them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from opencheckout.domain.catalog import CatalogProduct
from opencheckout.domain.custom_fields import (
    DEFAULT_MAXIMUM_QUANTITY,
    DEFAULT_MINIMUM_QUANTITY,
    bounds_of,
)
from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.percent import COUPON_PLACES, TAX_PLACES, from_units
from opencheckout.domain.pricing import (
    Coupon,
    PricedLine,
    PricingResult,
    TaxRate,
    price_session,
)
from opencheckout.domain.totals import MAX_AMOUNT
from opencheckout.ids import new_id
from opencheckout.service import coupons, inventory, shipping
from opencheckout.service.catalog import Catalog
from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import TaxRate as TaxRateRow

#: Document keys that carry a session's pricing state, copied on ``recover``.
PRICING_KEYS = (
    "line_items",
    "default_tax_rates",
    "tax_rates",
    "discounts",
    "shipping_options",
    "selected_shipping_option",
    "catalog_priced_lines",
)


# --------------------------------------------------------------------------- #
# Resolution (reads the database)
# --------------------------------------------------------------------------- #


def _tax_rate_snapshot(row: TaxRateRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "display_name": row.display_name,
        "percentage_ppm": row.percentage_ppm,
        "inclusive": row.inclusive,
        "country": row.country,
        "state": row.state,
        "jurisdiction": row.jurisdiction,
    }


def _catalog_entry(
    raw: dict[str, Any], product: CatalogProduct | None, currency: str, index: int
) -> CatalogProduct | None:
    """The active catalog entry a line takes defaults from, or None for an ad-hoc line.

    A line that omits ``unit_amount`` needs the catalog: the SKU must exist, be
    active and be priced in the session's currency. A line with its own price
    is ad hoc when the SKU is unknown or archived (its name defaults to the SKU).
    """
    param = f"line_items[{index}].product"
    usable = product if product is not None and product.active else None
    if raw.get("unit_amount") is not None:
        return usable
    sku = raw["product"]
    if product is None:
        raise InvalidValue(
            f"No such product: '{sku}'. Create it in the catalog, or give the line its own "
            "'unit_amount' (and 'name').",
            code="product_not_found",
            param=param,
        )
    if usable is None:
        raise InvalidValue(
            f"Product '{sku}' is archived; give the line its own 'unit_amount' to sell it anyway.",
            code="product_archived",
            param=param,
        )
    if usable.currency != currency:
        raise InvalidValue(
            f"Product '{sku}' is priced in {usable.currency.upper()}; this checkout is in "
            f"{currency.upper()}. Give the line its own 'unit_amount'.",
            code="product_currency_mismatch",
            param=param,
        )
    return usable


async def _resolve_lines(
    catalog: Catalog, tenant: Tenant, raw_items: list[dict[str, Any]], currency: str
) -> tuple[list[dict[str, Any]], list[int], list[tuple[str, str]]]:
    """Line item documents, the catalog-priced indexes and the ``(tax rate, param)`` refs."""
    entries = await catalog.products(tenant, (raw["product"] for raw in raw_items))
    items: list[dict[str, Any]] = []
    catalog_priced: list[int] = []
    refs: list[tuple[str, str]] = []
    for index, raw in enumerate(raw_items):
        sku = raw["product"]
        entry = _catalog_entry(raw, entries.get(sku), currency, index)
        unit_amount = raw.get("unit_amount")
        if unit_amount is None:
            assert entry is not None  # _catalog_entry refuses the line otherwise
            unit_amount = entry.unit_amount
            catalog_priced.append(index)
        if raw.get("tax_rates") is not None:
            rate_ids = list(raw["tax_rates"])
            refs.extend(
                (rate_id, f"line_items[{index}].tax_rates[{n}]")
                for n, rate_id in enumerate(rate_ids)
            )
        else:
            rate_ids = list(entry.tax_rates) if entry is not None else []
            refs.extend((rate_id, f"line_items[{index}].product") for rate_id in rate_ids)
        description = raw.get("description")
        items.append(
            {
                "id": new_id("li"),
                "object": "line_item",
                "product": sku,
                "name": raw.get("name") or (entry.name if entry is not None else sku),
                "description": (
                    description
                    if description is not None
                    else (entry.description if entry is not None else None)
                ),
                "unit_amount": unit_amount,
                # Absent, not 1, when an update is dumped without defaults.
                "quantity": raw.get("quantity") or 1,
                "tax_rates": rate_ids,
                "metadata": raw.get("metadata") or {},
                "amount_subtotal": 0,
                "amount_discount": 0,
                "amount_tax": 0,
                "amount_total": 0,
                "taxes": [],
                "adjustable_quantity": None,
            }
        )
    stock = {sku: entry.stock for sku, entry in entries.items()}
    inventory.check_lines(items, stock)
    for index, (raw, item) in enumerate(zip(raw_items, items, strict=True)):
        item["adjustable_quantity"] = _adjustable(
            raw.get("adjustable_quantity"), stock.get(item["product"]), index
        )
        _check_bounds(item, index)
    return items, catalog_priced, refs


def _adjustable(raw: dict[str, Any] | None, stock: int | None, index: int) -> dict[str, Any] | None:
    """The stored ``adjustable_quantity`` (defaults filled, bounded by tracked stock)."""
    if raw is None:
        return None
    minimum = raw.get("minimum") or DEFAULT_MINIMUM_QUANTITY
    maximum = raw.get("maximum") or DEFAULT_MAXIMUM_QUANTITY
    if minimum > maximum:
        raise InvalidValue(
            f"adjustable_quantity.minimum ({minimum}) may not exceed its maximum ({maximum}).",
            param=f"line_items[{index}].adjustable_quantity.minimum",
        )
    if stock is not None:
        maximum = max(minimum, min(maximum, stock))
    return {"enabled": bool(raw.get("enabled")), "minimum": minimum, "maximum": maximum}


def _check_bounds(item: dict[str, Any], index: int) -> None:
    bounds = bounds_of(item)
    if bounds is not None and not bounds.allows(item["quantity"]):
        raise InvalidValue(
            bounds.message(item["quantity"]),
            code="quantity_out_of_range",
            param=f"line_items[{index}].quantity",
        )


#: What a line named by ``id`` in an update may change.
_BY_ID_KEYS = frozenset({"id", "quantity", "adjustable_quantity"})


async def _change_lines(
    catalog: Catalog, tenant: Tenant, document: dict[str, Any], changes: list[dict[str, Any]]
) -> None:
    """Lines named by ``id``: the buyer's quantity (within bounds) or new bounds;
    prices and the other lines stay as they are."""
    lines = {line["id"]: line for line in document["line_items"]}
    seen: set[str] = set()
    for index, change in enumerate(changes):
        line_id = change.get("id")
        if line_id is None:
            raise InvalidValue(
                "Send every line in full (with 'product'), or name existing lines by 'id' to "
                "change their quantity; not both in one request.",
                param=f"line_items[{index}].id",
            )
        extra = sorted(set(change) - _BY_ID_KEYS)
        if extra:
            raise InvalidValue(
                f"A line named by id changes only quantity and adjustable_quantity, not "
                f"'{extra[0]}' (send every line in full to change more).",
                param=f"line_items[{index}].{extra[0]}",
            )
        if line_id not in lines or line_id in seen:
            raise InvalidValue(
                f"'{line_id[:40]}' is not one of this checkout's line items"
                + (" (or is named twice)." if line_id in seen else "."),
                code="line_item_unknown",
                param=f"line_items[{index}].id",
            )
        seen.add(line_id)
    stock = {
        sku: entry.stock
        for sku, entry in (
            await catalog.products(tenant, (line["product"] for line in document["line_items"]))
        ).items()
    }
    for index, change in enumerate(changes):
        line = lines[change["id"]]
        if "adjustable_quantity" in change:
            line["adjustable_quantity"] = _adjustable(
                change["adjustable_quantity"], stock.get(line["product"]), index
            )
        quantity = change.get("quantity")
        if quantity is not None and quantity != line["quantity"]:
            bounds = bounds_of(line)
            if bounds is None:
                raise InvalidValue(
                    f"Line '{line['id']}' does not let its quantity be adjusted; send every "
                    "line in full to change it, or give it adjustable_quantity.",
                    code="quantity_not_adjustable",
                    param=f"line_items[{index}].quantity",
                )
            line["quantity"] = quantity
        _check_bounds(line, index)
    inventory.check_lines(document["line_items"], stock)


async def _snapshot_tax_rates(
    catalog: Catalog,
    tenant: Tenant,
    document: dict[str, Any],
    new_refs: Sequence[tuple[str, str]],
) -> None:
    """Keep a snapshot of exactly the rates the session uses.

    Rates already snapshotted stay as they were (even if since deactivated:
    they were valid when applied); rates the request newly brings in must
    exist and be active.
    """
    known: dict[str, Any] = document.get("tax_rates") or {}
    fresh = [(rate_id, param) for rate_id, param in new_refs if rate_id not in known]
    loaded = await catalog.usable_tax_rates(tenant, fresh) if fresh else {}
    used = [
        *(rate_id for line in document["line_items"] for rate_id in line.get("tax_rates", [])),
        *document.get("default_tax_rates", []),
    ]
    document["tax_rates"] = {
        rate_id: known[rate_id] if rate_id in known else _tax_rate_snapshot(loaded[rate_id])
        for rate_id in dict.fromkeys(used)
    }


async def _resolve_discounts(
    catalog: Catalog,
    tenant: Tenant,
    references: list[dict[str, Any]],
    *,
    currency: str,
    now: datetime,
) -> list[dict[str, Any]]:
    applied: list[dict[str, Any]] = []
    for index, reference in enumerate(references):
        member = "code" if reference.get("code") is not None else "coupon"
        row = await catalog.coupon(
            tenant,
            coupon_id=reference.get("coupon"),
            code=reference.get("code"),
            currency=currency,
            now=now,
            param=f"discounts[{index}].{member}",
        )
        if any(entry["coupon"] == row.id for entry in applied):
            raise InvalidValue(
                f"Coupon '{row.id}' is already in 'discounts'; a coupon applies once.",
                code="coupon_duplicate",
                param=f"discounts[{index}].{member}",
            )
        applied.append(coupons.snapshot(row, applied_by="merchant"))
    return applied


def _check_kept_state(document: dict[str, Any], currency: str, params: dict[str, Any]) -> None:
    """A currency change must not strand catalog prices or amount-off coupons."""
    if "line_items" not in params and document.get("catalog_priced_lines"):
        raise InvalidValue(
            "Some line items are priced from the catalog in another currency; send "
            "'line_items' together with the new 'currency'.",
            code="product_currency_mismatch",
            param="currency",
        )
    if "discounts" not in params:
        for discount in document.get("discounts", []):
            if discount["currency"] is not None and discount["currency"] != currency:
                raise InvalidValue(
                    f"Coupon '{discount['coupon']}' is for {discount['currency'].upper()} "
                    f"amounts; remove it (send 'discounts') to change the currency.",
                    code="coupon_currency_mismatch",
                    param="currency",
                )


def _shipping_option(raw: dict[str, Any]) -> dict[str, Any]:
    """Every key present (null when not given), so the stored shape never varies."""
    estimate = raw.get("delivery_estimate")
    return {
        "id": raw["id"],
        "display_name": raw["display_name"],
        "amount": raw["amount"],
        "delivery_estimate": (
            {
                "minimum": estimate.get("minimum"),
                "maximum": estimate.get("maximum"),
                "unit": estimate["unit"],
            }
            if estimate is not None
            else None
        ),
    }


def _apply_shipping(document: dict[str, Any], params: dict[str, Any]) -> None:
    """Options are replaced as a whole; a selection that no longer exists is dropped."""
    if "shipping_options" in params:
        options = [_shipping_option(raw) for raw in params["shipping_options"] or []]
        ids = [option["id"] for option in options]
        for index, option_id in enumerate(ids):
            if option_id in ids[:index]:
                raise InvalidValue(
                    f"Shipping option id '{option_id}' is used twice.",
                    param=f"shipping_options[{index}].id",
                )
        document["shipping_options"] = options
    options_ids = [option["id"] for option in document.get("shipping_options", [])]
    if "selected_shipping_option" in params:
        selected = params["selected_shipping_option"]
        if selected is not None and selected not in options_ids:
            raise InvalidValue(
                f"'{selected}' is not one of this checkout's shipping options"
                + (f" ({', '.join(options_ids)})." if options_ids else " (it offers none)."),
                code="shipping_option_invalid",
                param="selected_shipping_option",
            )
        document["selected_shipping_option"] = selected
    elif document.get("selected_shipping_option") not in options_ids:
        document["selected_shipping_option"] = None


async def apply_changes(
    catalog: Catalog,
    tenant: Tenant,
    document: dict[str, Any],
    params: dict[str, Any],
    *,
    currency: str,
    currency_changed: bool,
    now: datetime,
) -> None:
    """Bring the pricing inputs in ``params`` into ``document`` (mutated in place)."""
    new_refs: list[tuple[str, str]] = []
    if currency_changed:
        _check_kept_state(document, currency, params)
    if params.get("line_items") and params["line_items"][0].get("id") is not None:
        await _change_lines(catalog, tenant, document, params["line_items"])
    elif "line_items" in params:
        if params["line_items"] is None:
            raise InvalidValue("'line_items' cannot be null.", param="line_items")
        for index, raw in enumerate(params["line_items"]):
            if raw.get("id") is not None:
                raise InvalidValue(
                    "Send every line in full (with 'product'), or name existing lines by "
                    "'id' to change their quantity; not both in one request.",
                    param=f"line_items[{index}].id",
                )
            if raw.get("product") is None:
                raise InvalidValue(
                    "Missing required parameter: line_items[N].product (or name an existing "
                    "line by 'id' to change its quantity).".replace("N", str(index)),
                    code="parameter_missing",
                    param=f"line_items[{index}].product",
                )
        items, catalog_priced, refs = await _resolve_lines(
            catalog, tenant, params["line_items"], currency
        )
        document["line_items"] = items
        document["catalog_priced_lines"] = catalog_priced
        new_refs.extend(refs)
    if "default_tax_rates" in params:
        defaults = params["default_tax_rates"] or []
        document["default_tax_rates"] = defaults
        new_refs.extend((rate_id, f"default_tax_rates[{n}]") for n, rate_id in enumerate(defaults))
    await _snapshot_tax_rates(catalog, tenant, document, new_refs)
    if "discounts" in params:
        document["discounts"] = await _resolve_discounts(
            catalog, tenant, params["discounts"] or [], currency=currency, now=now
        )
    params = await _offer_rates(catalog, tenant, document, params, currency)
    _apply_shipping(document, params)


async def _offer_rates(
    catalog: Catalog,
    tenant: Tenant,
    document: dict[str, Any],
    params: dict[str, Any],
    currency: str,
) -> dict[str, Any]:
    """A session without options of its own is offered the account's matching rates,
    recomputed on every edit (address, cart); returns the params left to apply."""
    if params.get("shipping_options"):
        document.pop(shipping.SOURCE_KEY, None)
        return params
    computed = document.get(shipping.SOURCE_KEY) or not document.get("shipping_options")
    if not computed and "shipping_options" not in params:
        return params
    found, promos = await catalog.shipping(tenant, currency)
    if not found:
        if document.pop(shipping.SOURCE_KEY, None):
            document["shipping_options"] = []
        return params
    totals = reprice(document, currency).to_session_totals()
    document["shipping_options"] = shipping.offered_options(
        document,
        found,
        promos,
        currency=currency,
        subtotal=totals.amount_subtotal - totals.amount_discount,
    )
    document[shipping.SOURCE_KEY] = "rates"
    return {key: value for key, value in params.items() if key != "shipping_options"}


def copy_state(document: dict[str, Any]) -> dict[str, Any]:
    """The pricing state of ``document`` for a new session: same snapshots, new line ids."""
    state = {key: copy.deepcopy(document[key]) for key in PRICING_KEYS if key in document}
    for item in state["line_items"]:
        item["id"] = new_id("li")
    return state


# --------------------------------------------------------------------------- #
# Repricing (pure)
# --------------------------------------------------------------------------- #


def _tax_rate(snapshot: dict[str, Any]) -> TaxRate:
    return TaxRate(
        id=snapshot["id"],
        display_name=snapshot["display_name"],
        percentage=from_units(snapshot["percentage_ppm"], TAX_PLACES),
        inclusive=snapshot["inclusive"],
    )


def _coupon(snapshot: dict[str, Any]) -> Coupon:
    bps = snapshot["percent_off_bps"]
    products_ = snapshot["applies_to_products"]
    return Coupon(
        id=snapshot["coupon"],
        percent_off=from_units(bps, COUPON_PLACES) if bps is not None else None,
        amount_off=snapshot["amount_off"],
        applies_to_products=frozenset(products_) if products_ is not None else None,
    )


def amount_shipping(document: dict[str, Any]) -> int:
    selected = document.get("selected_shipping_option")
    for option in document.get("shipping_options", []):
        if option["id"] == selected:
            amount: int = option["amount"]
            return amount
    return 0


def reprice(document: dict[str, Any], currency: str) -> PricingResult:
    """Compute every amount from the document and write them back into it."""
    rates = {rate_id: _tax_rate(snap) for rate_id, snap in document.get("tax_rates", {}).items()}
    lines = document["line_items"]
    discounts = document.get("discounts", [])
    result = price_session(
        [
            PricedLine(
                product=line["product"],
                unit_amount=line["unit_amount"],
                quantity=line["quantity"],
                tax_rates=tuple(rates[rate_id] for rate_id in line.get("tax_rates", [])),
            )
            for line in lines
        ],
        currency=currency,
        coupons=[_coupon(discount) for discount in discounts],
        default_tax_rates=[rates[rate_id] for rate_id in document.get("default_tax_rates", [])],
        amount_shipping=amount_shipping(document),
    )
    if result.amount_total > MAX_AMOUNT:
        raise InvalidValue(
            f"The session total may not exceed {MAX_AMOUNT} minor units.",
            code="amount_too_large",
            param="line_items",
        )
    for line, priced in zip(lines, result.lines, strict=True):
        line.update(
            amount_subtotal=priced.amount_subtotal,
            amount_discount=priced.amount_discount,
            amount_tax=priced.amount_tax,
            amount_total=priced.amount_total,
            taxes=[
                {
                    "tax_rate": tax.tax_rate.id,
                    "taxable_amount": tax.taxable_amount,
                    "amount": tax.amount,
                    "inclusive": tax.tax_rate.inclusive,
                }
                for tax in priced.taxes
            ],
        )
    for discount, applied in zip(discounts, result.discounts, strict=True):
        discount["amount"] = applied.amount
        discount["allocations"] = list(applied.allocations)
    document["tax_breakdown"] = [
        {
            "tax_rate": entry.tax_rate.id,
            "taxable_amount": entry.taxable_amount,
            "amount": entry.amount,
            "inclusive": entry.inclusive,
        }
        for entry in result.tax_breakdown
    ]
    return result
