"""The hosted page over HTTP, on both engines: the quantity control of adjustable
lines (live totals, the no-JavaScript re-render, server-side bounds) and custom
fields (rendering in the page's locale, escaping, server-side validation, values)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import Server
from tests.factories import create_session
from tests.hosted import buyer, csrf_of, filled_form, page_path

SHIRT = {
    "product": "sku-shirt",
    "name": "Shirt",
    "unit_amount": 2500,
    "quantity": 2,
    "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 5},
}
SOCKS = {"product": "sku-socks", "name": "Socks", "unit_amount": 799, "quantity": 1}


def _adjustable_session(api: httpx.Client) -> dict[str, Any]:
    return create_session(api, line_items=[SHIRT, SOCKS])


def _field_name(session: dict[str, Any]) -> str:
    return "qty_" + session["line_items"][0]["id"]


def test_adjustable_lines_get_an_accessible_quantity_control(server: Server, api):
    session = _adjustable_session(api)
    name = _field_name(session)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
    control = re.search(rf'<input id="f-{name}" name="{name}" type="number"[^>]*>', html)
    assert control, html
    assert 'min="1"' in control.group(0) and 'max="5"' in control.group(0)
    assert 'value="2"' in control.group(0)
    assert f'<label class="quantity-label" for="f-{name}">Quantity of Shirt</label>' in html
    assert 'aria-label="Decrease the quantity of Shirt"' in html
    assert 'aria-label="Increase the quantity of Shirt"' in html
    # The fixed line shows its quantity as text only.
    assert "qty_" + session["line_items"][1]["id"] not in html
    assert "Qty 1" in html


def test_totals_endpoint_reprices_a_quantity_change(server: Server, api):
    session = _adjustable_session(api)
    name = _field_name(session)
    with buyer(server) as client:
        csrf = csrf_of(client.get(page_path(session)).text)
        response = client.post(f"{page_path(session)}/totals", data={"csrf_token": csrf, name: "4"})
        assert response.status_code == 200, response.text
        figures = response.json()
        assert figures["amount_total"] == 4 * 2500 + 799
        assert figures["total"] == "€107.99"
        assert figures["lines"][0] == {
            "id": session["line_items"][0]["id"],
            "quantity": 4,
            "amount": "€100.00",
        }
        stored = api.get(f"/v1/checkouts/{session['id']}").json()
        assert stored["line_items"][0]["quantity"] == 4
        for bad in ("6", "0", "abc", "", "1e3"):
            refused = client.post(
                f"{page_path(session)}/totals", data={"csrf_token": csrf, name: bad}
            )
            assert refused.status_code == 422, bad
            assert refused.json()["error"]["code"] == "quantity_out_of_range"
        forged = client.post(f"{page_path(session)}/totals", data={name: "3"})
        assert forged.status_code == 403
    assert api.get(f"/v1/checkouts/{session['id']}").json()["line_items"][0]["quantity"] == 4


def test_without_javascript_a_changed_quantity_is_shown_before_charging(server: Server, api):
    session = _adjustable_session(api)
    name = _field_name(session)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        assert "Update total" in html  # in <noscript>
        form = filled_form(html, action="update", expected_amount="5799", **{name: "3"})
        shown = client.post(page_path(session), data=form)
        assert shown.status_code == 200
        assert "€82.99" in shown.text and 'value="8299"' in shown.text
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"
        # Paying with a quantity changed since the total was shown charges nothing.
        form = filled_form(shown.text, expected_amount="8299", **{name: "5"})
        changed = client.post(page_path(session), data=form)
        assert changed.status_code == 409
        assert "The total changed to €132.99" in changed.text
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"
        form = filled_form(changed.text, expected_amount="13299", **{name: "5"})
        paid = client.post(page_path(session), data=form)
        assert paid.status_code == 303, paid.text
    done = api.get(f"/v1/checkouts/{session['id']}").json()
    assert done["status"] == "completed" and done["amount_total"] == 13299


def test_an_out_of_range_quantity_is_a_field_error(server: Server, api):
    session = _adjustable_session(api)
    name = _field_name(session)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        response = client.post(page_path(session), data=filled_form(html, **{name: "9"}))
    assert response.status_code == 422
    assert "Choose a quantity from 1 to 5." in response.text
    assert f'aria-describedby="e-{name}"' in response.text
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"


FIELDS = [
    {
        "key": "order_ref",
        "label": {"custom": "Order <b>ref</b>", "translations": {"de": "Bestell<i>nummer</i>"}},
        "type": "text",
        "minimum_length": 3,
    },
    {"key": "employees", "label": "Employees", "type": "numeric", "optional": True},
    {
        "key": "size",
        "label": "Size",
        "type": "dropdown",
        "options": [{"label": "Small <s>", "value": "s"}, {"label": "Large", "value": "l"}],
    },
]


def test_custom_fields_render_translated_and_escaped(server: Server, api):
    session = create_session(api, custom_fields=FIELDS, locale="de")
    with buyer(server) as client:
        html = client.get(page_path(session)).text
    assert "Weitere Angaben" in html
    assert '<label for="f-cf_order_ref">Bestell&lt;i&gt;nummer&lt;/i&gt;</label>' in html
    assert "<i>" not in html and "<b>" not in html
    assert re.search(
        r'<input id="f-cf_order_ref" name="cf_order_ref" type="text" minlength="3"', html
    )
    assert re.search(
        r'name="cf_employees" type="text" inputmode="numeric" pattern="\[0-9\]\*"', html
    )
    assert 'Employees <span class="optional">(optional)</span>' in html
    assert '<option value="s">Small &lt;s&gt;</option>' in html
    assert "Option wählen" in html
    english = create_session(api, custom_fields=FIELDS, locale="en")
    with buyer(server) as client:
        assert "Order &lt;b&gt;ref&lt;/b&gt;" in client.get(page_path(english)).text


def test_custom_fields_are_validated_on_the_server_and_stored(server: Server, api):
    session = create_session(api, custom_fields=FIELDS, locale="en")
    path = page_path(session)
    with buyer(server) as client:
        html = client.get(path).text
        missing = client.post(path, data=filled_form(html))
        assert missing.status_code == 422
        assert missing.text.count("This field is required.") == 2
        assert 'aria-describedby="e-cf_order_ref"' in missing.text
        bad = client.post(
            path,
            data=filled_form(html, cf_order_ref="ab", cf_employees="12a", cf_size="xl"),
        )
        assert bad.status_code == 422
        assert "Enter at least 3 characters." in bad.text
        assert "Enter digits only." in bad.text
        assert "Choose an option from the list." in bad.text
        assert 'value="12a"' in bad.text  # what was typed is shown again
        stored = api.get(f"/v1/checkouts/{session['id']}").json()
        assert [field["value"] for field in stored["custom_fields"]] == [None, None, None]
        good = client.post(
            path,
            data=filled_form(html, cf_order_ref=" PO-77 ", cf_employees="0042", cf_size="l"),
        )
        assert good.status_code == 303, good.text
    paid = api.get(f"/v1/checkouts/{session['id']}").json()
    assert paid["status"] == "completed"
    assert {f["key"]: f["value"] for f in paid["custom_fields"]} == {
        "order_ref": "PO-77",
        "employees": "0042",
        "size": "l",
    }


def test_a_required_field_set_through_the_api_is_shown_and_kept(server: Server, api):
    session = create_session(
        api,
        custom_fields=FIELDS,
        custom_field_values={"order_ref": "PO-1", "size": "s"},
        locale="en",
    )
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        assert 'value="PO-1"' in html and '<option value="s" selected>' in html
        form = filled_form(html, cf_order_ref="PO-1", cf_size="s", cf_employees="")
        assert client.post(page_path(session), data=form).status_code == 303
