"""Importing a store from CSV files (``opencheckout import DIR``).

The layout is the UCP conformance suite's flower shop: ``products.csv``,
``inventory.csv``, ``discounts.csv``, ``promotions.csv``, ``shipping_rates.csv``,
``customers.csv`` and ``addresses.csv`` (any subset; other files are ignored).
Every row goes through the same services as the API, each row in its own
transaction, after it was checked whole (by the API's own request rules, given
as ``validate``), so a bad row imports nothing and is reported as
``file:line: message`` with the row's physical line number.

Rows are upserted by their natural key, so a second run changes nothing:

* products by SKU (``id``), their stock (``inventory.csv``) by SKU;
* coupons (``discounts.csv``) by code, case-insensitively;
* shipping rates and shipping promotions by the file's ``id`` (kept in the
  object's ``metadata.import_id``);
* customers by email, case-insensitively (the file's ``id`` kept in
  ``metadata.import_id``, which ``addresses.csv`` refers to);
* addresses by content (the address book deduplicates them).

Prices are integers in the currency's minor unit, as in the files.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from opencheckout.domain.addresses import AddressContent
from opencheckout.domain.errors import DomainError, NotFound
from opencheckout.domain.inputs import bounded_decimal, has_nul, number_problem
from opencheckout.service import coupons, customers, products, shipping
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor
from opencheckout.store import accounts as account_store
from opencheckout.store import coupons as coupon_store
from opencheckout.store.models import Coupon, Product, ShippingPromotion, ShippingRate
from opencheckout.store.tenant import Tenant

#: The files read, in the order they are imported (products before their stock,
#: customers before their addresses).
FILES = (
    "products.csv",
    "inventory.csv",
    "discounts.csv",
    "promotions.csv",
    "shipping_rates.csv",
    "customers.csv",
    "addresses.csv",
)
#: The columns each file must have (others are ignored).
REQUIRED = {
    "products.csv": ("id", "title", "price"),
    "inventory.csv": ("product_id", "quantity"),
    "discounts.csv": ("code", "type", "value"),
    "promotions.csv": ("id", "type"),
    "shipping_rates.csv": ("id", "country_code", "service_level", "price", "title"),
    "customers.csv": ("id", "email"),
    "addresses.csv": ("customer_id",),
}
#: The longest field and the most fields a row may have.
MAX_FIELD_CHARS = 4000
MAX_FIELDS = 50
#: The longest physical line read (the file stops there beyond).
MAX_LINE_BYTES = 4 * MAX_FIELD_CHARS * MAX_FIELDS
#: The file's column behind each API field a row's error may name.
COLUMNS: dict[str, dict[str, str]] = {
    "product": {"name": "title", "unit_amount": "price"},
    "coupon": {"percent_off": "value", "amount_off": "value", "name": "description"},
    "shipping_rate": {"display_name": "title", "amount": "price", "countries": "country_code"},
    "shipping_promotion": {
        "display_name": "description",
        "products": "eligible_item_ids",
    },
    "customer": {},
    "address": {"line1": "street_address"},
}
IMPORT_ID = "import_id"
PAGE = 100

#: ``validate(kind, params)``: the API's request rules for a create of ``kind``
#: (``product``, ``coupon``, ``shipping_rate``, ``shipping_promotion``,
#: ``customer``, ``address``), answering the params as the API would pass them
#: on, or raising :class:`RowError`.
Validate = Callable[[str, dict[str, Any]], dict[str, Any]]


class RowError(Exception):
    """Why a row is not imported (the message printed after ``file:line:``)."""


@dataclass(slots=True)
class FileReport:
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.name}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.errors)} bad"
        )


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]


class Progress:
    """What the caller is told while a file is imported (a progress bar)."""

    def start(self, name: str, rows: int) -> None:  # pragma: no cover - interface
        pass

    def advance(self) -> None:  # pragma: no cover - interface
        pass

    def finish(self, report: FileReport) -> None:  # pragma: no cover - interface
        pass


async def principal_for(ctx: Context, account: str, *, livemode: bool) -> Principal:
    """Act as the named account (never created here: an unknown name is an error)."""
    async with ctx.db.read() as session:
        row = await account_store.get_account_by_name(session, account.strip())
    if row is None:
        raise NotFound(
            f"No account named '{account}' (create it with `opencheckout keys create "
            f"--account {account}`).",
            param="account",
        )
    return Principal(row.id, livemode, Scope.WRITE, "import")


def present_files(directory: Path) -> list[Path]:
    return [directory / name for name in FILES if (directory / name).is_file()]


def count_rows(path: Path) -> int:
    """About how many rows ``path`` has (its lines less the header), for a progress bar."""
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    lines += 0 if last == b"\n" else 1
    return max(0, lines - 1)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _decoded(handle: BinaryIO, name: str, report: FileReport) -> Iterator[str]:
    """The file's physical lines as text; a line that is too long or not UTF-8 is
    reported with its number and ends the file there."""
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            report.errors.append(
                f"{name}:{number}: the line is longer than {MAX_LINE_BYTES} bytes; "
                "the rest of the file is skipped"
            )
            return
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            report.errors.append(
                f"{name}:{number}: the line is not UTF-8 text; the rest of the file is skipped"
            )
            return


def read_rows(handle: BinaryIO, name: str, report: FileReport) -> Iterator[Row]:
    """The rows of a CSV file with their physical line numbers; bad rows are reported
    in ``report`` and not yielded. A file the reader cannot go on with stops there."""
    reader = csv.reader(_decoded(handle, name, report), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        report.errors.append(f"{name}:1: unreadable CSV ({exc})")
        return
    if header is None:
        return
    columns = [column.strip().lower() for column in header]
    missing = [column for column in REQUIRED[name] if column not in columns]
    if missing:
        report.errors.append(f"{name}:1: missing column(s) {', '.join(missing)}")
        return
    line = reader.line_num
    while True:
        start = line + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.errors.append(
                f"{name}:{start}: unreadable CSV ({exc}); the rest of the file is skipped"
            )
            return
        line = reader.line_num
        if not any(value.strip() for value in fields):
            continue  # a blank line
        problem = _shape_problem(fields, len(columns))
        if problem is not None:
            report.errors.append(f"{name}:{start}: {problem}")
            continue
        yield Row(start, dict(zip(columns, fields, strict=False)))


def _shape_problem(fields: list[str], width: int) -> str | None:
    if len(fields) > min(width, MAX_FIELDS):
        return f"{len(fields)} fields where the header has {width}"
    for value in fields:
        if len(value) > MAX_FIELD_CHARS:
            return f"a field is longer than {MAX_FIELD_CHARS} characters"
        if has_nul(value):
            return "a field contains NUL (U+0000)"
    return None


def _integer(row: Row, column: str, *, required: bool = True) -> int | None:
    text = _text(row.values.get(column))
    if not text:
        if required:
            raise RowError(f"{column} is required")
        return None
    problem = number_problem(text)
    if problem is not None:
        raise RowError(f"{column} '{text[:40]}' is not accepted. {problem}")
    number = bounded_decimal(text, param=column)
    if number != number.to_integral_value():
        raise RowError(f"{column} must be a whole number (in the currency's minor unit)")
    return int(number)


def _required(row: Row, column: str) -> str:
    text = _text(row.values.get(column))
    if not text:
        raise RowError(f"{column} is required")
    return text


def _optional(row: Row, column: str) -> str | None:
    return _text(row.values.get(column)) or None


def _id_list(text: str, column: str) -> list[str]:
    """``["a","b"]`` (JSON, as the flower shop writes it) or ``a;b`` / ``a|b``."""
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            raise RowError(f"{column} is not a JSON list of ids") from None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise RowError(f"{column} is not a JSON list of ids")
        return [item.strip() for item in value if item.strip()]
    separator = ";" if ";" in text else "|"
    return [item.strip() for item in text.split(separator) if item.strip()]


class Importer:
    """One run: the account's existing objects are read once, then each row is
    created, updated or left as it is."""

    def __init__(
        self, ctx: Context, principal: Principal, *, currency: str, validate: Validate
    ) -> None:
        self.ctx, self.principal, self.currency, self.validate = ctx, principal, currency, validate
        self._products: dict[str, Product] | None = None
        self._rates: dict[str, ShippingRate] | None = None
        self._promotions: dict[str, ShippingPromotion] | None = None
        self._customers: dict[str, customers.CustomerView] | None = None

    async def run(self, paths: list[Path], progress: Progress) -> list[FileReport]:
        reports = []
        for path in paths:
            report = FileReport(path.name)
            progress.start(path.name, count_rows(path))
            with path.open("rb") as handle:
                for row in read_rows(handle, path.name, report):
                    try:
                        outcome = await self._import(path.name, row)
                    except RowError as exc:
                        report.errors.append(f"{path.name}:{row.line}: {exc}")
                    except DomainError as exc:
                        report.errors.append(f"{path.name}:{row.line}: {exc.message}")
                    else:
                        setattr(report, outcome, getattr(report, outcome) + 1)
                    progress.advance()
            progress.finish(report)
            reports.append(report)
        return reports

    async def _import(self, name: str, row: Row) -> str:
        handlers = {
            "products.csv": self._product,
            "inventory.csv": self._stock,
            "discounts.csv": self._coupon,
            "promotions.csv": self._promotion,
            "shipping_rates.csv": self._rate,
            "customers.csv": self._customer,
            "addresses.csv": self._address,
        }
        return await handlers[name](row)

    # -- existing objects, read once per run ----------------------------------- #

    async def _all_products(self) -> dict[str, Product]:
        if self._products is None:
            found: dict[str, Product] = {}
            after: str | None = None
            while True:
                page, more = await products.list_products(
                    self.ctx, self.principal, Cursor(PAGE, starting_after=after)
                )
                found.update((product.sku, product) for product in page)
                if not more or not page:
                    break
                after = page[-1].sku
            self._products = found
        return self._products

    async def _all(self, resource: shipping.Resource) -> dict[str, Any]:
        found: dict[str, Any] = {}
        after: str | None = None
        while True:
            page, more = await resource.list(
                self.ctx, self.principal, Cursor(PAGE, starting_after=after)
            )
            for row in page:
                key = row.metadata_.get(IMPORT_ID)
                if key:
                    found.setdefault(key, row)
            if not more or not page:
                return found
            after = page[-1].id

    async def _all_customers(self) -> dict[str, customers.CustomerView]:
        """Customers by ``import_id`` and by lower-case email (``@`` tells them apart)."""
        if self._customers is None:
            found: dict[str, customers.CustomerView] = {}
            after: str | None = None
            while True:
                page, more = await customers.list_customers(
                    self.ctx, self.principal, Cursor(PAGE, starting_after=after)
                )
                for view in page:
                    self._remember(found, view)
                if not more or not page:
                    break
                after = page[-1].customer.id
            self._customers = found
        return self._customers

    @staticmethod
    def _remember(found: dict[str, customers.CustomerView], view: customers.CustomerView) -> None:
        row = view.customer
        if row.email_lower:
            found[f"email:{row.email_lower}"] = view
        key = row.metadata_.get(IMPORT_ID)
        if key:
            found.setdefault(f"id:{key}", view)

    # -- one row of each file -------------------------------------------------- #

    async def _product(self, row: Row) -> str:
        metadata = {}
        image_url = _optional(row, "image_url")
        if image_url:
            metadata["image_url"] = image_url
        params = self.validate(
            "product",
            {
                "id": _required(row, "id"),
                "name": _required(row, "title"),
                "description": _optional(row, "description"),
                "unit_amount": _integer(row, "price"),
                "currency": self.currency,
                "metadata": metadata,
            },
        )
        known = await self._all_products()
        existing = known.get(params["id"])
        if existing is None:
            known[params["id"]] = await products.create(self.ctx, self.principal, params)
            return "created"
        changes = {
            name: params[name]
            for name in ("name", "unit_amount", "currency")
            if getattr(existing, name) != params[name]
        }
        if _optional(row, "description") is not None and existing.description != params.get(
            "description"
        ):
            changes["description"] = params["description"]
        if any(existing.metadata_.get(key) != value for key, value in metadata.items()):
            changes["metadata"] = metadata
        if not changes:
            return "unchanged"
        known[params["id"]] = await products.update(self.ctx, self.principal, params["id"], changes)
        return "updated"

    async def _stock(self, row: Row) -> str:
        sku = _required(row, "product_id")
        quantity = _integer(row, "quantity")
        assert quantity is not None
        if not 0 <= quantity <= products.MAX_STOCK:
            raise RowError(f"quantity must be between 0 and {products.MAX_STOCK}")
        known = await self._all_products()
        existing = known.get(sku)
        if existing is None:
            raise RowError(f"no product '{sku}' (add it to products.csv)")
        if existing.stock == quantity:
            return "unchanged"
        known[sku] = await products.change_stock(
            self.ctx, self.principal, sku, adjust=None, set_to=quantity
        )
        return "updated"

    async def _coupon(self, row: Row) -> str:
        code = _required(row, "code")
        kind = _required(row, "type").lower()
        params: dict[str, Any] = {"code": code, "name": _optional(row, "description")}
        if kind in ("percentage", "percent", "percent_off"):
            text = _required(row, "value")
            problem = number_problem(text)
            if problem is not None:
                raise RowError(f"value '{text[:40]}' is not accepted. {problem}")
            params["percent_off"] = text
        elif kind in ("fixed_amount", "fixed", "amount_off"):
            params |= {"amount_off": _integer(row, "value"), "currency": self.currency}
        else:
            raise RowError(f"type '{kind[:40]}' is not one of percentage, fixed_amount")
        params = self.validate("coupon", params)
        async with self.ctx.db.read() as session:
            existing: Coupon | None = await coupon_store.get_by_code(
                session, Tenant(self.principal.account_id, self.principal.livemode), code
            )
        if existing is None:
            await coupons.create(self.ctx, self.principal, params)
            return "created"
        same_terms = (
            coupons.percent_off_of(existing) == params.get("percent_off")
            and existing.amount_off == params.get("amount_off")
            and existing.currency == params.get("currency")
        )
        if not same_terms:
            raise RowError(
                f"coupon {existing.id} already has the code '{code}' with other terms "
                "(a coupon's amount never changes; delete it or use another code)"
            )
        changes: dict[str, Any] = {}
        if existing.name != params.get("name"):
            changes["name"] = params.get("name")
        if not existing.active:
            changes["active"] = True
        if not changes:
            return "unchanged"
        await coupons.update(self.ctx, self.principal, existing.id, changes)
        return "updated"

    async def _rate(self, row: Row) -> str:
        key = _required(row, "id")
        country = _required(row, "country_code")
        countries = [] if country.lower() in ("default", "*", "all") else [country]
        fields = {
            "display_name": _required(row, "title"),
            "amount": _integer(row, "price"),
            "currency": self.currency,
            "countries": countries,
            "service_level": _required(row, "service_level").lower(),
        }
        estimate = _optional(row, "delivery_estimate")
        if estimate:
            fields["delivery_estimate"] = estimate
        params = self.validate("shipping_rate", {**fields, "metadata": {IMPORT_ID: key}})
        if self._rates is None:
            self._rates = await self._all(shipping.rates)
        return await self._upsert(shipping.rates, self._rates, key, params, tuple(fields))

    async def _promotion(self, row: Row) -> str:
        key = _required(row, "id")
        kind = _required(row, "type").lower()
        if kind != "free_shipping":
            raise RowError(f"type '{kind[:40]}' is not supported (only free_shipping)")
        minimum = _integer(row, "min_subtotal", required=False)
        items = _id_list(_text(row.values.get("eligible_item_ids")), "eligible_item_ids")
        if minimum is None and not items:
            raise RowError("a promotion needs min_subtotal or eligible_item_ids")
        levels = _id_list(_text(row.values.get("service_levels")), "service_levels")
        fields: dict[str, Any] = {
            "display_name": _optional(row, "description") or key,
            "service_levels": levels,
            "min_subtotal": minimum,
            "currency": self.currency if minimum is not None else None,
            "products": items,
        }
        params = self.validate("shipping_promotion", {**fields, "metadata": {IMPORT_ID: key}})
        if self._promotions is None:
            self._promotions = await self._all(shipping.promotions)
        return await self._upsert(shipping.promotions, self._promotions, key, params, tuple(fields))

    async def _upsert(
        self,
        resource: shipping.Resource,
        known: dict[str, Any],
        key: str,
        params: Mapping[str, Any],
        compared: tuple[str, ...],
    ) -> str:
        existing = known.get(key)
        if existing is None:
            known[key] = await resource.create(self.ctx, self.principal, params)
            return "created"
        changes = {
            name: params.get(name)
            for name in compared
            if getattr(existing, name) != params.get(name)
        }
        if not existing.active:
            changes["active"] = True
        if not changes:
            return "unchanged"
        known[key] = await resource.update(self.ctx, self.principal, existing.id, changes)
        return "updated"

    async def _customer(self, row: Row) -> str:
        key = _required(row, "id")
        params = self.validate(
            "customer",
            {
                "email": _required(row, "email"),
                "name": _optional(row, "name"),
                "phone": _optional(row, "phone"),
                "metadata": {IMPORT_ID: key},
            },
        )
        known = await self._all_customers()
        existing = known.get(f"email:{params['email'].lower()}")
        if existing is None:
            view = await customers.create(
                self.ctx,
                self.principal,
                customers.NewCustomer(
                    email=params["email"],
                    name=params.get("name"),
                    phone=params.get("phone"),
                    metadata=params["metadata"],
                ),
            )
            self._remember(known, view)
            return "created"
        row_ = existing.customer
        changes: dict[str, Any] = {}
        if row_.name != params.get("name") and params.get("name") is not None:
            changes["name"] = params["name"]
        if row_.phone != params.get("phone") and params.get("phone") is not None:
            changes["phone"] = params["phone"]
        if row_.metadata_.get(IMPORT_ID) != key:
            changes["metadata"] = {IMPORT_ID: key}
        if not changes:
            known.setdefault(f"id:{key}", existing)
            return "unchanged"
        view = await customers.update(self.ctx, self.principal, row_.id, changes)
        known[f"id:{key}"] = view
        self._remember(known, view)
        return "updated"

    async def _address(self, row: Row) -> str:
        owner = _required(row, "customer_id")
        raw = {
            "name": _optional(row, "name"),
            "line1": _optional(row, "street_address") or _optional(row, "line1"),
            "line2": _optional(row, "line2"),
            "city": _optional(row, "city"),
            "state": _optional(row, "state"),
            "postal_code": _optional(row, "postal_code"),
            "country": _optional(row, "country"),
        }
        params = self.validate("address", {k: v for k, v in raw.items() if v is not None})
        content = AddressContent.of(params)
        if content.is_empty():
            raise RowError("an address needs at least one of street_address, city, country")
        known = await self._all_customers()
        view = known.get(f"id:{owner}") or (
            known.get(f"email:{owner.lower()}") if "@" in owner else None
        )
        if view is None:
            raise RowError(f"no customer '{owner}' (add them to customers.csv)")
        _, created = await customers.add_address(
            self.ctx, self.principal, view.customer.id, content
        )
        return "created" if created else "unchanged"
