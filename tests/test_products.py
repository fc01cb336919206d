"""The product catalog, and line items that take their defaults from it."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import client_for
from tests.factories import assert_error, session_body
from tests.pricing_helpers import assert_invariants, complete, product, session_with, tax_rate


def test_product_crud(api):
    vat = tax_rate(api, 21, True)
    shirt = product(
        api,
        id="SHIRT-BLUE M",
        name="Blue shirt",
        description="Cotton",
        unit_amount=2500,
        currency="EUR",
        tax_rates=[vat["id"]],
        metadata={"colour": "blue"},
    )
    assert shirt == {
        "id": "SHIRT-BLUE M",
        "object": "product",
        "name": "Blue shirt",
        "description": "Cotton",
        "unit_amount": 2500,
        "currency": "eur",
        "tax_rates": [vat["id"]],
        "active": True,
        "stock": None,
        "metadata": {"colour": "blue"},
        "livemode": False,
        "created_at": shirt["created_at"],
        "updated_at": shirt["updated_at"],
    }
    url = "/v1/products/SHIRT-BLUE%20M"
    assert api.get(url).json() == shirt
    # A read-back resource is not a create body: its read-only fields are refused.
    assert_error(
        api.post("/v1/products", json={**shirt, "id": "other"}), 422, code="parameter_unknown"
    )
    duplicate = api.post(
        "/v1/products",
        json={"id": "SHIRT-BLUE M", "name": "x", "unit_amount": 1, "currency": "eur"},
    )
    assert_error(duplicate, 409, code="product_exists", param="id")

    updated = api.patch(
        url,
        json={"unit_amount": 2700, "description": None, "tax_rates": [], "metadata": {"size": "M"}},
    ).json()
    assert updated["unit_amount"] == 2700 and updated["description"] is None
    assert updated["tax_rates"] == [] and updated["metadata"] == {"colour": "blue", "size": "M"}
    assert updated["name"] == "Blue shirt"
    assert_error(api.patch(url, json={"name": None}), 422, param="name")
    assert_error(api.patch(url, json={"tax_rates": ["txr_nope"]}), 422, param="tax_rates[0]")

    archived = api.post(f"{url}/archive").json()
    assert archived["active"] is False
    assert api.patch(url, json={"active": True}).json()["active"] is True
    assert_error(api.get("/v1/products/nope"), 404, code="resource_missing", param="id")
    assert_error(api.post("/v1/products/nope/archive"), 404)


def test_product_list_pages_by_sku_cursor(api):
    skus = [product(api, id=f"p{n}", unit_amount=n)["id"] for n in range(5)]
    api.post("/v1/products/p1/archive")
    page = api.get("/v1/products", params={"limit": 3}).json()
    assert [p["id"] for p in page["data"]] == ["p4", "p3", "p2"] and page["has_more"] is True
    rest = api.get("/v1/products", params={"starting_after": "p2"}).json()
    assert [p["id"] for p in rest["data"]] == ["p1", "p0"] and rest["has_more"] is False
    back = api.get("/v1/products", params={"ending_before": "p1", "limit": 2}).json()
    assert [p["id"] for p in back["data"]] == ["p3", "p2"] and back["has_more"] is True
    active = api.get("/v1/products", params={"active": "true"}).json()["data"]
    assert [p["id"] for p in active] == ["p4", "p3", "p2", "p0"]
    assert len(skus) == 5
    assert_error(api.get("/v1/products", params={"starting_after": "zz"}), 404)


@pytest.mark.parametrize(
    ("overrides", "param", "code"),
    [
        ({"id": "a/b"}, "id", None),
        ({"id": ""}, "id", None),
        ({"id": "x" * 201}, "id", None),
        ({"id": None}, "id", "parameter_missing"),
        ({"name": None}, "name", "parameter_missing"),
        ({"unit_amount": -1}, "unit_amount", None),
        ({"unit_amount": 9.99}, "unit_amount", None),
        ({"currency": "xyz"}, "currency", "currency_invalid"),
        ({"tax_rates": ["txr_nope"]}, "tax_rates[0]", "tax_rate_not_found"),
        ({"tax_rates": ["a", "a"]}, "tax_rates", None),
        ({"price": 5}, "price", "parameter_unknown"),
    ],
)
def test_product_validation(api, overrides, param, code):
    body = {"id": "sku", "name": "Thing", "unit_amount": 100, "currency": "eur", **overrides}
    body = {key: value for key, value in body.items() if value is not None}
    assert_error(api.post("/v1/products", json=body), 422, code=code, param=param)
    assert api.get("/v1/products").json()["data"] == []


def test_inactive_tax_rate_cannot_be_put_on_a_product(api):
    rate = tax_rate(api, 10, False)
    api.patch(f"/v1/tax_rates/{rate['id']}", json={"active": False})
    response = api.post(
        "/v1/products",
        json={
            "id": "a",
            "name": "A",
            "unit_amount": 1,
            "currency": "eur",
            "tax_rates": [rate["id"]],
        },
    )
    assert_error(response, 422, code="tax_rate_inactive", param="tax_rates[0]")


def test_products_are_isolated_by_account_and_mode(api, server, account, other_account):
    product(api, id="shared-sku", name="Mine", unit_amount=100)
    with client_for(server, other_account.secret_key) as other:
        assert_error(other.get("/v1/products/shared-sku"), 404)
        assert_error(other.post("/v1/products/shared-sku/archive"), 404)
        assert other.get("/v1/products").json()["data"] == []
        # The same SKU is free in another account, and its sessions see only their catalog.
        theirs = product(other, id="shared-sku", name="Theirs", unit_amount=900)
        assert theirs["unit_amount"] == 900
        line = other.post(
            "/v1/checkouts", json=session_body(line_items=[{"product": "shared-sku"}])
        ).json()["line_items"][0]
        assert (line["name"], line["unit_amount"]) == ("Theirs", 900)
    with client_for(server, account.live_key) as live:
        assert_error(live.get("/v1/products/shared-sku"), 404)
    with client_for(server, account.read_key) as read:
        assert read.get("/v1/products/shared-sku").status_code == 200
        assert_error(read.patch("/v1/products/shared-sku", json={}), 403)


# --------------------------------------------------------------------------- #
# Line items from the catalog
# --------------------------------------------------------------------------- #


def test_line_items_take_catalog_defaults_and_inline_values_override(api):
    vat = tax_rate(api, 21, True)
    reduced = tax_rate(api, 10, True)
    mug = product(api, name="Mug", description="Stoneware", unit_amount=1210, tax_rates=[vat["id"]])
    session = session_with(
        api,
        [
            {"product": mug["id"], "quantity": 2},
            {"product": mug["id"], "unit_amount": 1100, "name": "Mug (seconds)"},
            {"product": mug["id"], "tax_rates": [reduced["id"]], "description": "Gift"},
            {"product": "ad-hoc", "unit_amount": 300},
        ],
    )
    lines = session["line_items"]
    assert [(li["name"], li["unit_amount"], li["quantity"]) for li in lines] == [
        ("Mug", 1210, 2),
        ("Mug (seconds)", 1100, 1),
        ("Mug", 1210, 1),
        ("ad-hoc", 300, 1),
    ]
    assert [li["description"] for li in lines] == ["Stoneware", "Stoneware", "Gift", None]
    assert [li["tax_rates"] for li in lines] == [[vat["id"]], [vat["id"]], [reduced["id"]], []]
    assert lines[0]["amount_tax"] == 420  # 2420 incl. 21 %: net 2000
    assert session["amount_total"] == 2420 + 1100 + 1210 + 300
    assert_invariants(session)

    # Later catalog changes do not re-price the open session.
    api.patch(f"/v1/products/{mug['id']}", json={"unit_amount": 9999, "name": "Big mug"})
    assert (
        api.patch(f"/v1/checkouts/{session['id']}", json={"locale": "fr"}).json()["line_items"]
        == lines
    )
    assert complete(api, session["id"]).json()["amount_total"] == session["amount_total"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ({"product": "no-such-sku"}, "product_not_found"),
        ({"product": "ARCHIVED", "quantity": 1}, "product_archived"),
        ({"product": "USD-PRICED"}, "product_currency_mismatch"),
        ({"product": "no-such-sku", "name": "Named but unpriced"}, "product_not_found"),
    ],
)
def test_unusable_catalog_lines_are_refused(api, line, code):
    product(api, id="ARCHIVED", unit_amount=100)
    api.post("/v1/products/ARCHIVED/archive")
    product(api, id="USD-PRICED", unit_amount=100, currency="usd")
    lines = [{"product": "fine", "unit_amount": 1}, line]
    response = api.post("/v1/checkouts", json=session_body(line_items=lines))
    assert_error(response, 422, code=code, param="line_items[1].product")


def test_archived_or_unknown_skus_sell_ad_hoc_with_their_own_price(api):
    product(api, id="OLD", name="Old name", unit_amount=100)
    api.post("/v1/products/OLD/archive")
    session = session_with(
        api,
        [
            {"product": "OLD", "name": "Clearance", "unit_amount": 50},
            {"product": "OLD", "unit_amount": 60},
            {"product": "NEW", "unit_amount": 70},
        ],
    )
    assert [(li["name"], li["unit_amount"]) for li in session["line_items"]] == [
        ("Clearance", 50),
        ("OLD", 60),  # an archived entry gives no defaults
        ("NEW", 70),
    ]


def test_currency_changes_respect_catalog_prices(api):
    tea = product(api, unit_amount=450, currency="eur")
    session = session_with(api, [{"product": tea["id"], "quantity": 2}])
    url = f"/v1/checkouts/{session['id']}"
    assert_error(
        api.patch(url, json={"currency": "usd"}),
        422,
        code="product_currency_mismatch",
        param="currency",
    )
    assert_error(
        api.patch(url, json={"currency": "usd", "line_items": [{"product": tea["id"]}]}),
        422,
        code="product_currency_mismatch",
        param="line_items[0].product",
    )
    moved = api.patch(
        url, json={"currency": "usd", "line_items": [{"product": tea["id"], "unit_amount": 500}]}
    ).json()
    assert moved["currency"] == "usd" and moved["amount_total"] == 500
    # Now priced inline, the currency may change again without new lines.
    assert api.patch(url, json={"currency": "gbp"}).json()["currency"] == "gbp"


def test_patch_line_items_uses_defaults_and_refuses_nulls(api):
    mug = product(api, unit_amount=800)
    session = session_with(api, [{"product": "a", "unit_amount": 1}])
    url = f"/v1/checkouts/{session['id']}"
    patched = api.patch(url, json={"line_items": [{"product": mug["id"]}]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["line_items"][0]["quantity"] == 1
    assert patched.json()["amount_total"] == 800
    assert (
        api.get("/v1/checkouts", params={"product": mug["id"]}).json()["data"][0]["id"]
        == (session["id"])
    )
    assert_error(api.patch(url, json={"line_items": None}), 422, param="line_items")
    assert_error(api.patch(url, json={"currency": None}), 422, param="currency")


def test_recovered_session_keeps_prices_even_if_the_catalog_moved(api):
    sku = f"sku-{uuid.uuid4().hex[:6]}"
    product(api, id=sku, unit_amount=1000)
    session = session_with(api, [{"product": sku, "quantity": 3}])
    api.post(f"/v1/checkouts/{session['id']}/cancel")
    api.patch(f"/v1/products/{sku}", json={"unit_amount": 5})
    copy = api.post(f"/v1/checkouts/{session['id']}/recover").json()
    assert copy["amount_total"] == 3000
    assert copy["line_items"][0]["id"] != session["line_items"][0]["id"]
    # The copy is catalog-priced too, so its currency is pinned the same way.
    assert_error(
        api.patch(f"/v1/checkouts/{copy['id']}", json={"currency": "usd"}),
        422,
        code="product_currency_mismatch",
    )
