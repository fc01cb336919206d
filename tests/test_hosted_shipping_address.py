"""The hosted page's shipping address: form, saved-address choice, options that follow
the country (form posts and the live totals route), and the address book, over HTTP
on both engines."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import Server
from tests.factories import create_session
from tests.hosted import buyer, csrf_of, filled_form, page_path

FR = {
    "shipping_line1": "1 rue de Rivoli",
    "shipping_city": "Paris",
    "shipping_postal_code": "75001",
    "shipping_country": "FR",
}
SUBTOTAL = 2 * 2500 + 799


def rate(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"display_name": "Standard", "amount": 500, "currency": "eur", **fields}
    response = api.post("/v1/shipping_rates", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def two_countries(api: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    spain = rate(api, display_name="Correos", amount=500, countries=["ES"])
    france = rate(api, display_name="Colissimo", amount=900, countries=["FR"])
    return spain, france


def session_of(api: httpx.Client, session: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/v1/checkouts/{session['id']}").json()
    return body


def expected(html: str) -> str:
    match = re.search(r'name="expected_amount" id="expected-amount" value="(\d+)"', html)
    assert match, html[:2000]
    return match.group(1)


def test_a_session_without_shipping_has_no_shipping_address(server: Server, api):
    session = create_session(api)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
    assert 'name="ship_to"' not in html and "Shipping address" not in html


def test_changing_the_country_without_javascript_shows_the_new_options_first(server: Server, api):
    spain, france = two_countries(api)
    session = create_session(api)
    assert [o["id"] for o in session["shipping_options"]] == [spain["id"]]
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        assert "Shipping address" in html and "Same as billing address" in html
        assert re.search(r'name="ship_to" value="billing" data-ship-to checked', html)
        assert "Correos" in html and "Colissimo" not in html
        # The buyer picks the Spanish option, then ships to France and asks for the total.
        chosen = client.post(
            page_path(session),
            data=filled_form(html, shipping_option=spain["id"], action="update"),
        )
        assert chosen.status_code == 200
        assert expected(chosen.text) == str(SUBTOTAL + 500)
        moved = client.post(
            page_path(session),
            data=filled_form(
                chosen.text, shipping_option=spain["id"], ship_to="new", action="update", **FR
            ),
        )
        assert moved.status_code == 200, moved.text
        assert "Colissimo" in moved.text and "Correos" not in moved.text
        assert "The shipping option you chose is not available for this address." in moved.text
        assert expected(moved.text) == str(SUBTOTAL)
        stored = session_of(api, session)
        assert stored["customer"]["shipping_address"]["country"] == "FR"
        assert stored["selected_shipping_option"] is None
        assert "selected_shipping_option" in stored["missing_fields"]
        # Paying with the stale option charges nothing and asks again.
        stale = client.post(
            page_path(session),
            data=filled_form(moved.text, shipping_option=spain["id"], ship_to="new", **FR),
        )
        assert stale.status_code == 422
        assert "Choose a shipping option." in stale.text
        assert session_of(api, session)["status"] == "pending"
        paid = client.post(
            page_path(session),
            data=filled_form(
                moved.text,
                shipping_option=france["id"],
                ship_to="new",
                expected_amount=str(SUBTOTAL + 900),
                **FR,
            ),
        )
    assert paid.status_code == 303, paid.text
    done = session_of(api, session)
    assert done["status"] == "completed"
    assert done["amount_total"] == SUBTOTAL + 900
    assert done["customer"]["shipping_address"] == {
        "line1": "1 rue de Rivoli",
        "line2": None,
        "city": "Paris",
        "postal_code": "75001",
        "state": None,
        "country": "FR",
    }


def test_paying_after_a_country_change_without_updating_charges_nothing(server: Server, api):
    spain, _france = two_countries(api)
    session = create_session(api)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        response = client.post(
            page_path(session),
            data=filled_form(html, shipping_option=spain["id"], ship_to="new", **FR),
        )
    assert response.status_code == 422
    assert "The shipping option you chose is not available for this address." in response.text
    assert "Colissimo" in response.text
    assert session_of(api, session)["status"] == "pending"


def test_a_country_without_rates_cannot_be_paid_on_the_page(server: Server, api):
    rate(api, display_name="Correos", amount=500, countries=["ES"])
    session = create_session(api)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        response = client.post(page_path(session), data=filled_form(html, ship_to="new", **FR))
    assert response.status_code == 422
    assert "No shipping option is available for this address." in response.text
    assert session_of(api, session)["status"] == "pending"


def test_the_new_address_is_validated_and_escaped(server: Server, api):
    two_countries(api)
    session = create_session(api)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        response = client.post(
            page_path(session),
            data=filled_form(
                html,
                ship_to="new",
                shipping_line1='<script>alert("x")</script>',
                shipping_postal_code="75001",
                shipping_country="XX",
            ),
        )
    assert response.status_code == 422
    assert 'id="e-shipping_city"' in response.text and "This field is required." in response.text
    assert 'id="e-shipping_country"' in response.text
    assert "Choose a country from the list." in response.text
    assert '<script>alert("x")</script>' not in response.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.text
    assert session_of(api, session)["status"] == "pending"


def test_an_unknown_choice_is_refused(server: Server, api):
    two_countries(api)
    session = create_session(api)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        response = client.post(page_path(session), data=filled_form(html, ship_to="addr_nope"))
    assert response.status_code == 422
    assert "Choose where to ship your order." in response.text


def test_the_totals_route_follows_a_country_change(server: Server, api):
    spain, france = two_countries(api)
    session = create_session(api, selected_shipping_option=spain["id"])
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        url = f"{page_path(session)}/totals"
        base = {"csrf_token": csrf_of(html), "shipping_option": spain["id"]}
        moved = client.post(url, data={**base, "ship_to": "new", "shipping_country": "FR"})
        assert moved.status_code == 200, moved.text
        body = moved.json()
        assert [o["id"] for o in body["shipping_options"]] == [france["id"]]
        assert body["shipping_options"][0]["name"] == "Colissimo"
        assert body["selected_shipping_option"] is None
        assert body["shipping_notice"].startswith("The shipping option you chose")
        assert body["amount_total"] == SUBTOTAL
        chosen = client.post(
            url,
            data={
                "csrf_token": base["csrf_token"],
                "shipping_option": france["id"],
                "ship_to": "new",
                "shipping_country": "FR",
            },
        )
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["amount_total"] == SUBTOTAL + 900
        assert chosen.json()["shipping_notice"] == ""
        # Back to the billing address (Spain): the French option is dropped in turn.
        back = client.post(
            url,
            data={
                "csrf_token": base["csrf_token"],
                "shipping_option": france["id"],
                "ship_to": "billing",
                "country": "ES",
            },
        )
        assert back.status_code == 200, back.text
        assert [o["id"] for o in back.json()["shipping_options"]] == [spain["id"]]
        assert back.json()["selected_shipping_option"] is None
    stored = session_of(api, session)
    assert stored["customer"]["shipping_address"] is None
    assert [o["id"] for o in stored["shipping_options"]] == [spain["id"]]


def linked_customer(api: httpx.Client) -> dict[str, Any]:
    response = api.post(
        "/v1/customers",
        json={
            "email": "buyer@example.com",
            "name": "Ada Lovelace",
            "addresses": [
                {
                    "name": "Home",
                    "line1": "1 rue de Rivoli",
                    "city": "Paris",
                    "postal_code": "75001",
                    "country": "FR",
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def test_saved_addresses_are_offered_and_the_book_gains_a_new_one_once(server: Server, api):
    spain, france = two_countries(api)
    customer = linked_customer(api)
    saved = customer["addresses"][0]
    customer_fields = {"email": "buyer@example.com", "first_name": "Ada", "last_name": "L"}
    session = create_session(api, customer=customer_fields)
    assert session["customer"]["addresses"][0]["id"] == saved["id"]
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        assert f'name="ship_to" value="{saved["id"]}"' in html
        assert "Home, 1 rue de Rivoli, 75001 Paris, FR" in html
        assert "A new address" in html
        chosen = client.post(
            page_path(session),
            data=filled_form(html, ship_to=saved["id"], action="update"),
        )
        assert chosen.status_code == 200
        assert re.search(rf'value="{saved["id"]}" data-ship-to checked', chosen.text)
        assert "Colissimo" in chosen.text and "Correos" not in chosen.text
        paid = client.post(
            page_path(session),
            data=filled_form(
                chosen.text,
                ship_to=saved["id"],
                shipping_option=france["id"],
                expected_amount=str(SUBTOTAL + 900),
            ),
        )
    assert paid.status_code == 303, paid.text
    assert session_of(api, session)["customer"]["shipping_address"]["city"] == "Paris"
    # The saved address was used: the book does not grow.
    assert len(api.get(f"/v1/customers/{customer['id']}").json()["addresses"]) == 1

    # Twice a new Spanish address: saved to the book once.
    new_address = {
        "shipping_line1": "Carrer de Mallorca 401",
        "shipping_city": "Barcelona",
        "shipping_postal_code": "08013",
        "shipping_country": "ES",
    }
    for _round in range(2):
        again = create_session(api, customer=customer_fields)
        with buyer(server) as client:
            html = client.get(page_path(again)).text
            paid = client.post(
                page_path(again),
                data=filled_form(
                    html,
                    ship_to="new",
                    shipping_option=spain["id"],
                    expected_amount=str(SUBTOTAL + 500),
                    **new_address,
                ),
            )
        assert paid.status_code == 303, paid.text
    book = api.get(f"/v1/customers/{customer['id']}").json()["addresses"]
    assert [(a["city"], a["country"]) for a in book] == [("Paris", "FR"), ("Barcelona", "ES")]
    # A later session offers both saved addresses.
    later = create_session(api, customer=customer_fields)
    with buyer(server) as client:
        html = client.get(page_path(later)).text
    assert html.count("data-ship-to") == 4  # billing, two saved, new


def test_the_shipping_address_speaks_the_page_locale(server: Server, api):
    two_countries(api)
    session = create_session(api, locale="de")
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        assert "Lieferadresse" in html and "Wie Rechnungsadresse" in html
        assert "Eine neue Adresse" in html and "Versandarten aktualisieren" in html
        moved = client.post(
            page_path(session),
            data=filled_form(html, ship_to="new", action="update", shipping_country="PT"),
        )
    assert moved.status_code == 200
    assert "Für diese Adresse ist keine Versandart verfügbar." in moved.text
