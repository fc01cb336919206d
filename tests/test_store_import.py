"""``opencheckout import DIR``: the installed command, run as a real process on a
database of the test's own, checked through the HTTP API (both engines)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import (
    SHARED,
    Account,
    _make_account,
    fresh_database,
    require_shared,
    server_settings,
    start_server,
)

FLOWER_SHOP = SHARED / "specs" / "ucp" / "conformance" / "test_data" / "flower_shop"
#: The installed console script (``[project.scripts]``), not ``python -m``.
ENTRY_POINT = Path(sys.executable).with_name("opencheckout")


@dataclass
class Store:
    url: str
    database_url: str
    account: Account
    engine: str

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.account.secret_key}"},
            timeout=30,
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, str]]:
    """A fresh migrated database of this module's own, and a server on it."""
    with fresh_database(request.param, tmp_path_factory.mktemp("import")) as url:
        uv_server, thread, base = start_server(server_settings(url))
        try:
            yield request.param, url, base
        finally:
            uv_server.should_exit = True
            thread.join(timeout=10)


@pytest.fixture
def store(store_db: tuple[str, str, str]) -> Store:
    """A new account per test, so each test sees only what it imported."""
    engine, url, base = store_db
    account = asyncio.run(_make_account(url, f"import-{uuid.uuid4().hex[:10]}"))
    return Store(base, url, account, engine)


def run_import(
    store: Store, directory: Path, *extra: str, account: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENCHECKOUT_DATABASE_URL": store.database_url}
    name = account or store.account.name
    return subprocess.run(
        [str(ENTRY_POINT), "import", str(directory), "--account", name, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def counts(output: str) -> dict[str, tuple[int, int, int, int]]:
    """``{file: (created, updated, unchanged, bad)}`` from the per-file lines."""
    found = {}
    for line in output.splitlines():
        name, sep, rest = line.partition(": ")
        if sep and name.endswith(".csv") and rest.endswith(" bad"):
            numbers = [int(part.split()[0]) for part in rest.split(", ")]
            found[name] = (numbers[0], numbers[1], numbers[2], numbers[3])
    return found


def every(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.get(path, params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["data"]
        if not body["has_more"]:
            return items
        params["starting_after"] = body["data"][-1]["id"]


def snapshot(client: httpx.Client) -> dict[str, list[dict[str, Any]]]:
    """Everything the import may touch, as the API shows it (with updated_at), and the
    account's events."""
    return {
        path: every(client, path)
        for path in (
            "/v1/products",
            "/v1/coupons",
            "/v1/shipping_rates",
            "/v1/shipping_promotions",
            "/v1/customers",
            "/v1/events",
        )
    }


def test_flower_shop_imports_with_one_command_and_a_second_run_changes_nothing(store):
    folder = require_shared(FLOWER_SHOP)
    first = run_import(store, folder)
    assert first.returncode == 0, first.stderr
    assert counts(first.stdout) == {
        "products.csv": (6, 0, 0, 0),
        "inventory.csv": (0, 6, 0, 0),  # stock set on the products just created
        "discounts.csv": (3, 0, 0, 0),
        "promotions.csv": (2, 0, 0, 0),
        "shipping_rates.csv": (3, 0, 0, 0),
        "customers.csv": (3, 0, 0, 0),
        "addresses.csv": (3, 0, 0, 0),
    }
    assert "payment_instruments.csv" not in first.stdout + first.stderr  # not imported

    with store.client() as api:
        roses = api.get("/v1/products/bouquet_roses").json()
        assert roses["name"] == "Bouquet of Red Roses"
        assert (roses["unit_amount"], roses["currency"], roses["stock"]) == (3500, "usd", 1000)
        assert roses["metadata"] == {"image_url": "https://example.com/roses.jpg"}
        gardenias = api.get("/v1/products/gardenias").json()
        assert (gardenias["unit_amount"], gardenias["stock"]) == (2000, 0)
        assert api.get("/v1/products/orchid_white").json()["stock"] == 800

        coupons = {c["code"]: c for c in every(api, "/v1/coupons")}
        assert set(coupons) == {"10OFF", "WELCOME20", "FIXED500"}
        assert Decimal(str(coupons["10OFF"]["percent_off"])) == 10
        assert Decimal(str(coupons["WELCOME20"]["percent_off"])) == 20
        assert coupons["WELCOME20"]["name"] == "20% Off"
        fixed = coupons["FIXED500"]
        assert (fixed["amount_off"], fixed["currency"], fixed["percent_off"]) == (500, "usd", None)

        rates = {r["metadata"]["import_id"]: r for r in every(api, "/v1/shipping_rates")}
        assert set(rates) == {"std-ship", "exp-ship-us", "exp-ship-intl"}
        assert (rates["std-ship"]["amount"], rates["std-ship"]["countries"]) == (500, [])
        assert rates["std-ship"]["service_level"] == "standard"
        us = rates["exp-ship-us"]
        assert (us["display_name"], us["amount"], us["countries"]) == (
            "Express Shipping (US)",
            1500,
            ["US"],
        )
        assert us["service_level"] == "express" and us["currency"] == "usd"
        assert (rates["exp-ship-intl"]["amount"], rates["exp-ship-intl"]["countries"]) == (2500, [])

        promos = {p["metadata"]["import_id"]: p for p in every(api, "/v1/shipping_promotions")}
        assert (promos["promo_1"]["min_subtotal"], promos["promo_1"]["currency"]) == (10000, "usd")
        assert promos["promo_1"]["products"] == []
        assert promos["promo_2"]["products"] == ["bouquet_roses"]
        assert promos["promo_2"]["min_subtotal"] is None
        assert promos["promo_2"]["display_name"] == "Free Shipping on Rose Bouquets"

        people = {c["email"]: c for c in every(api, "/v1/customers")}
        assert set(people) == {
            "john.doe@example.com",
            "jane.smith@example.com",
            "jane.doe@example.com",
        }
        john = people["john.doe@example.com"]
        assert john["name"] == "John Doe" and john["metadata"] == {"import_id": "cust_1"}
        book = sorted(
            (a["line1"], a["city"], a["state"], a["postal_code"], a["country"])
            for a in john["addresses"]
        )
        assert book == [
            ("123 Main St", "Springfield", "IL", "62704", "US"),
            ("456 Oak Ave", "Metropolis", "NY", "10012", "US"),
        ]
        assert [a["city"] for a in people["jane.smith@example.com"]["addresses"]] == ["Smallville"]
        assert people["jane.doe@example.com"]["addresses"] == []

        # The shop works as imported: a US cart over $100 with express shipping free.
        session = api.post(
            "/v1/checkouts",
            json={
                "currency": "usd",
                "line_items": [{"product": "bouquet_tulips", "quantity": 4}],
                "customer": {
                    "email": "john.doe@example.com",
                    "shipping_address": {"country": "US"},
                },
            },
        )
        assert session.status_code == 201, session.text
        options = {o["id"]: o["amount"] for o in session.json()["shipping_options"]}
        assert options[us["id"]] == 0

        before = snapshot(api)
        second = run_import(store, folder)
        assert second.returncode == 0, second.stderr
        assert set(counts(second.stdout).values()) == {(0, 0, c, 0) for c in (6, 3, 2)}
        assert counts(second.stdout)["addresses.csv"] == (0, 0, 3, 0)
        assert snapshot(api) == before  # no row and no event changed


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_bad_rows_are_reported_by_file_and_line_and_import_nothing(store, tmp_path):
    # Line 3 holds a quoted title over two physical lines: what follows is numbered by lines.
    _write(
        tmp_path,
        "products.csv",
        "id,title,price,image_url\n"
        "good_1,Good one,1200,\n"
        'good_2,"Two\nlines",1300,\n'
        "bad_price,Bad price,12.50,\n"
        "bad_exp,Exponent,1e5,\n"
        "bad_title,,100,\n"
        "bad_width,Too wide,100,,extra\n"
        "bad/slash,Slash,100,\n"
        "bad_huge,Huge,99999999999999999999999,\n"
        "good_3,Good three,0,\n",
    )
    _write(
        tmp_path,
        "inventory.csv",
        "product_id,quantity\ngood_1,5\nbad_price,3\ngood_2,-1\ngood_3,x\n",
    )
    _write(
        tmp_path,
        "discounts.csv",
        "code,type,value,description\n"
        "OK10,percentage,10,Ten\n"
        "BAD,percentage,150,Too much\n"
        "BAD2,bogo,1,Unknown type\n",
    )
    _write(
        tmp_path,
        "shipping_rates.csv",
        "id,country_code,service_level,price,title\n"
        "r1,DE,standard,500,Germany\n"
        "r2,ZZ,standard,500,Nowhere\n"
        "r3,default,Express!,500,Bad level\n",
    )
    _write(
        tmp_path,
        "promotions.csv",
        "id,type,min_subtotal,eligible_item_ids,description\n"
        "p1,free_shipping,5000,,Over 50\n"
        "p2,percentage,10,,Not shipping\n"
        'p3,free_shipping,,"[1,2]",Bad ids\n',
    )
    _write(
        tmp_path,
        "customers.csv",
        "id,name,email\nc1,Ada,ada@example.com\nc2,Bob,not-an-email\n",
    )
    _write(
        tmp_path,
        "addresses.csv",
        "id,customer_id,street_address,city,state,postal_code,country\n"
        "a1,c1,1 Road,Berlin,,10115,DE\n"
        "a2,c2,2 Road,Paris,,75001,FR\n"
        "a3,c1,3 Road,Nowhere,,1,XX\n",
    )
    result = run_import(store, tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ".csv:" in line]
    by_place = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in errors}
    assert set(by_place) == {
        "products.csv:5",
        "products.csv:6",
        "products.csv:7",
        "products.csv:8",
        "products.csv:9",
        "products.csv:10",
        "inventory.csv:3",
        "inventory.csv:4",
        "inventory.csv:5",
        "discounts.csv:3",
        "discounts.csv:4",
        "shipping_rates.csv:3",
        "shipping_rates.csv:4",
        "promotions.csv:3",
        "promotions.csv:4",
        "customers.csv:3",
        "addresses.csv:3",
        "addresses.csv:4",
    }, result.stderr
    assert "whole number" in by_place["products.csv:5"]
    assert "exponent" in by_place["products.csv:6"]
    assert "title is required" in by_place["products.csv:7"]
    assert "5 fields where the header has 4" in by_place["products.csv:8"]
    assert "id" in by_place["products.csv:9"]
    assert "digits" in by_place["products.csv:10"]
    assert "no product 'bad_price'" in by_place["inventory.csv:3"]
    assert "country_code" in by_place["shipping_rates.csv:3"]
    assert "service_level" in by_place["shipping_rates.csv:4"]
    assert "email" in by_place["customers.csv:3"]
    assert "no customer 'c2'" in by_place["addresses.csv:3"]
    assert "country" in by_place["addresses.csv:4"]
    assert "18 bad row(s) were not imported" in result.stderr
    assert counts(result.stdout)["products.csv"] == (3, 0, 0, 6)

    with store.client() as api:
        skus = {p["id"]: p for p in every(api, "/v1/products")}
        assert set(skus) == {"good_1", "good_2", "good_3"}
        assert skus["good_2"]["name"] == "Two lines" or skus["good_2"]["name"] == "Two\nlines"
        assert (skus["good_1"]["stock"], skus["good_2"]["stock"], skus["good_3"]["stock"]) == (
            5,
            None,
            None,
        )
        assert [c["code"] for c in every(api, "/v1/coupons")] == ["OK10"]
        assert [r["display_name"] for r in every(api, "/v1/shipping_rates")] == ["Germany"]
        assert [p["display_name"] for p in every(api, "/v1/shipping_promotions")] == ["Over 50"]
        people = every(api, "/v1/customers")
        assert [c["email"] for c in people] == ["ada@example.com"]
        assert [a["city"] for a in people[0]["addresses"]] == ["Berlin"]
        before = snapshot(api)

    # Fixed rows import on the next run; the good ones stay as they are.
    _write(tmp_path, "inventory.csv", "product_id,quantity\ngood_1,5\ngood_2,7\n")
    (tmp_path / "products.csv").unlink()
    (tmp_path / "discounts.csv").unlink()
    again = run_import(store, tmp_path)
    assert counts(again.stdout)["inventory.csv"] == (0, 1, 1, 0)
    with store.client() as api:
        assert api.get("/v1/products/good_2").json()["stock"] == 7
        after = snapshot(api)
    assert after["/v1/customers"] == before["/v1/customers"]
    assert after["/v1/shipping_rates"] == before["/v1/shipping_rates"]


def test_unknown_account_and_mode_are_clear_errors(store, tmp_path):
    _write(tmp_path, "products.csv", "id,title,price\nx,X,100\n")
    missing = run_import(store, tmp_path, account="no-such-shop")
    assert missing.returncode == 1
    assert "No account named 'no-such-shop'" in missing.stderr
    bad_mode = run_import(store, tmp_path, "--mode", "prod")
    assert bad_mode.returncode != 0 and "test or live" in bad_mode.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_import(store, empty)
    assert nothing.returncode == 1 and "has none of products.csv" in nothing.stderr
    with store.client() as api:
        assert every(api, "/v1/products") == []


def test_live_mode_imports_into_live_only(store, tmp_path):
    _write(tmp_path, "products.csv", "id,title,price\nlive_sku,Live thing,900\n")
    assert run_import(store, tmp_path, "--mode", "live").returncode == 0
    with store.client() as api:
        assert api.get("/v1/products/live_sku").status_code == 404
    headers = {"Authorization": f"Bearer {store.account.live_key}"}
    with httpx.Client(base_url=store.url, headers=headers, timeout=30) as live:
        assert live.get("/v1/products/live_sku").json()["unit_amount"] == 900


def test_a_large_file_imports_with_a_progress_bar_and_counts(store, tmp_path):
    rows = 5000
    _write(
        tmp_path,
        "products.csv",
        "id,title,price,image_url\n"
        + "".join(f"sku-{n:05d},Product {n},{100 + n},\n" for n in range(rows)),
    )
    _write(
        tmp_path,
        "inventory.csv",
        "product_id,quantity\n" + "".join(f"sku-{n:05d},{n % 7}\n" for n in range(0, rows, 5)),
    )
    started = time.monotonic()
    first = run_import(store, tmp_path)
    took = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    assert counts(first.stdout)["products.csv"] == (rows, 0, 0, 0)
    assert counts(first.stdout)["inventory.csv"] == (0, rows // 5, 0, 0)
    assert "products.csv" in first.stderr  # the progress bar's label, on stderr
    print(f"{store.engine}: {rows} products and {rows // 5} stock rows in {took:.1f} s")
    with store.client() as api:
        assert api.get("/v1/products/sku-04999").json()["unit_amount"] == 5099
        assert api.get("/v1/products/sku-00010").json()["stock"] == 3
        page = api.get("/v1/products", params={"limit": 1}).json()
        assert page["has_more"] is True

    # One changed price: one update, the rest unchanged.
    text = (
        (tmp_path / "products.csv")
        .read_text()
        .replace("sku-00042,Product 42,142", "sku-00042,Product 42,999")
    )
    _write(tmp_path, "products.csv", text)
    second = run_import(store, tmp_path)
    assert second.returncode == 0, second.stderr
    assert counts(second.stdout)["products.csv"] == (0, 1, rows - 1, 0)
    assert counts(second.stdout)["inventory.csv"] == (0, 0, rows // 5, 0)
    with store.client() as api:
        assert api.get("/v1/products/sku-00042").json()["unit_amount"] == 999


def test_unreadable_files_are_reported_and_the_others_imported(store, tmp_path):
    _write(tmp_path, "products.csv", "id,name,price\nx,X,100\n")  # `title` missing
    (tmp_path / "discounts.csv").write_bytes(
        b"code,type,value\nOK5,percentage,5\nBAD,percentage,\xff\xfe\n"
    )
    _write(tmp_path, "customers.csv", "id,email\nc1,a@example.com\nc2,b\x00@example.com\n")
    long = "x" * 5000
    _write(
        tmp_path,
        "shipping_rates.csv",
        f"id,country_code,service_level,price,title\nr,US,standard,1,{long}\n",
    )
    result = run_import(store, tmp_path)
    assert result.returncode == 1
    assert "products.csv:1: missing column(s) title" in result.stderr
    assert "discounts.csv:3: the line is not UTF-8 text" in result.stderr
    assert counts(result.stdout)["discounts.csv"] == (1, 0, 0, 1)  # the line before it is in
    assert "customers.csv:3: a field contains NUL (U+0000)" in result.stderr
    assert "shipping_rates.csv:2: a field is longer than 4000 characters" in result.stderr
    assert counts(result.stdout)["customers.csv"] == (1, 0, 0, 1)
    with store.client() as api:
        assert every(api, "/v1/products") == []
        assert [c["email"] for c in every(api, "/v1/customers")] == ["a@example.com"]
        assert every(api, "/v1/shipping_rates") == []
        assert [c["code"] for c in every(api, "/v1/coupons")] == ["OK5"]
