"""Custom fields over the API: definitions (at most 3, structured 422s), values set
with ``custom_field_values`` and checked like the buyer's input, readiness
(``missing_fields`` names ``custom_fields.<key>``), ``complete`` refusing, events
and webhooks carrying them; on both engines."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import GOOD_CARD, assert_error, create_session, session_body

FIELDS: list[dict[str, Any]] = [
    {
        "key": "order_ref",
        "label": {"custom": "Order reference", "translations": {"de": "Bestellnummer"}},
        "type": "text",
        "minimum_length": 3,
        "maximum_length": 10,
    },
    {"key": "employees", "label": "Employees", "type": "numeric", "optional": True},
    {
        "key": "size",
        "label": "Size",
        "type": "dropdown",
        "options": [{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}],
    },
]


def _session(api: Any, **overrides: Any) -> dict[str, Any]:
    return create_session(api, custom_fields=FIELDS, **overrides)


def test_definitions_come_back_normalized_with_null_values(api):
    session = _session(api)
    ref, employees, size = session["custom_fields"]
    assert ref == {
        "key": "order_ref",
        "label": {"custom": "Order reference", "translations": {"de": "Bestellnummer"}},
        "type": "text",
        "optional": False,
        "options": None,
        "minimum_length": 3,
        "maximum_length": 10,
        "value": None,
    }
    assert employees["label"] == {"custom": "Employees", "translations": {}}
    assert employees["optional"] is True
    assert size["options"] == [{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}]
    assert session["ready_for_payment"] is False
    assert session["missing_fields"] == ["custom_fields.order_ref", "custom_fields.size"]
    assert create_session(api)["custom_fields"] == []


@pytest.mark.parametrize(
    ("fields", "code", "param"),
    [
        ([*FIELDS, {**FIELDS[1], "key": "fourth"}], "parameter_invalid", "custom_fields"),
        ([FIELDS[0], {**FIELDS[1], "key": "order_ref"}], "custom_field_duplicate",
         "custom_fields[1].key"),
        ([{"key": "c", "label": "C", "type": "dropdown"}], "parameter_missing",
         "custom_fields[0].options"),
        ([{**FIELDS[0], "options": FIELDS[2]["options"]}], "parameter_invalid",
         "custom_fields[0].options"),
        ([{**FIELDS[2], "maximum_length": 4}], "parameter_invalid",
         "custom_fields[0].maximum_length"),
        ([{**FIELDS[0], "minimum_length": 11}], "parameter_invalid",
         "custom_fields[0].minimum_length"),
        ([{**FIELDS[0], "key": "has space"}], "parameter_invalid", "custom_fields[0].key"),
        ([{**FIELDS[0], "type": "date"}], "parameter_invalid", "custom_fields[0].type"),
        ([{**FIELDS[0], "label": ""}], "parameter_invalid", "custom_fields[0].label.custom"),
        ([{**FIELDS[0], "label": {"custom": "x", "translations": {"xx": "y"}}}],
         "parameter_invalid", "custom_fields[0].label.translations.xx.[key]"),
        ([{**FIELDS[0], "maximum_length": 256}], "parameter_invalid",
         "custom_fields[0].maximum_length"),
        ([{**FIELDS[2], "options": [{"label": "A", "value": "a"}, {"label": "B", "value": "a"}]}],
         "parameter_invalid", "custom_fields[0].options[1].value"),
        ([{"label": "No key", "type": "text"}], "parameter_missing", "custom_fields[0].key"),
        ([{**FIELDS[0], "colour": "red"}], "parameter_unknown", "custom_fields[0].colour"),
    ],
)  # fmt: skip
def test_bad_definitions_are_structured_422s(api, fields, code, param):
    response = api.post("/v1/checkouts", json=session_body(custom_fields=fields))
    error = assert_error(response, 422, code)
    assert error["param"] == param, error


@pytest.mark.parametrize(
    ("values", "code", "param"),
    [
        ({"order_ref": "ab"}, "custom_field_invalid", "custom_field_values.order_ref"),
        ({"order_ref": "abcdefghijk"}, "custom_field_invalid", "custom_field_values.order_ref"),
        ({"employees": "12a"}, "custom_field_invalid", "custom_field_values.employees"),
        ({"employees": "١٢"}, "custom_field_invalid", "custom_field_values.employees"),
        ({"employees": "-5"}, "custom_field_invalid", "custom_field_values.employees"),
        ({"size": "xl"}, "custom_field_invalid", "custom_field_values.size"),
        ({"colour": "red"}, "custom_field_unknown", "custom_field_values.colour"),
        ({"employees": 12}, "parameter_invalid", "custom_field_values.employees"),
    ],
)
def test_values_are_checked_like_the_buyers_input(api, values, code, param):
    session = _session(api)
    response = api.patch(f"/v1/checkouts/{session['id']}", json={"custom_field_values": values})
    assert_error(response, 422, code, param)


def test_values_make_the_session_ready_and_travel_with_events(api):
    session = _session(api)
    url = f"/v1/checkouts/{session['id']}"
    refused = api.post(f"{url}/complete", json={"payment": GOOD_CARD})
    error = assert_error(refused, 409, "checkout_not_ready", "custom_fields.order_ref")
    assert error["missing_fields"] == ["custom_fields.order_ref", "custom_fields.size"]
    patched = api.patch(
        url, json={"custom_field_values": {"order_ref": "  PO-77 ", "size": "l", "employees": ""}}
    )
    assert patched.status_code == 200, patched.text
    values = {field["key"]: field["value"] for field in patched.json()["custom_fields"]}
    assert values == {"order_ref": "PO-77", "employees": None, "size": "l"}
    assert patched.json()["ready_for_payment"] is True
    paid = api.post(f"{url}/complete", json={"payment": GOOD_CARD})
    assert paid.status_code == 200, paid.text
    completed = api.get("/v1/events", params={"type": "checkout.completed"}).json()["data"][0]
    fields = completed["data"]["object"]["custom_fields"]
    assert [(field["key"], field["value"]) for field in fields] == [
        ("order_ref", "PO-77"),
        ("employees", None),
        ("size", "l"),
    ]


def test_values_may_be_given_on_create_and_redefinitions_keep_them(api):
    session = _session(api, custom_field_values={"order_ref": "PO-1", "size": "s"})
    assert session["ready_for_payment"] is True
    url = f"/v1/checkouts/{session['id']}"
    # Same key and type: the value stays; a changed type (or a key gone) drops it.
    fields = [FIELDS[0], {**FIELDS[2], "type": "text", "options": None}]
    redefined = api.patch(url, json={"custom_fields": fields})
    assert redefined.status_code == 200, redefined.text
    values = {field["key"]: field["value"] for field in redefined.json()["custom_fields"]}
    assert values == {"order_ref": "PO-1", "size": None}
    cleared = api.patch(url, json={"custom_field_values": {"order_ref": None}})
    assert cleared.json()["missing_fields"] == ["custom_fields.order_ref", "custom_fields.size"]
    removed = api.patch(url, json={"custom_fields": []})
    assert removed.json()["custom_fields"] == [] and removed.json()["ready_for_payment"] is True


def test_recovered_sessions_keep_their_custom_fields(api):
    session = _session(api, custom_field_values={"order_ref": "PO-9", "size": "s"})
    url = f"/v1/checkouts/{session['id']}"
    assert api.post(f"{url}/cancel").status_code == 200
    recovered = api.post(f"{url}/recover")
    assert recovered.status_code == 201, recovered.text
    values = {field["key"]: field["value"] for field in recovered.json()["custom_fields"]}
    assert values == {"order_ref": "PO-9", "employees": None, "size": "s"}


def test_a_delivered_webhook_carries_the_fields_and_values(api):
    from standardwebhooks import Webhook

    from tests.receiver import run_receiver

    with run_receiver() as receiver:
        created = api.post(
            "/v1/webhook_endpoints",
            json={"url": f"{receiver.url}/hook", "enabled_events": ["checkout.completed"]},
        )
        assert created.status_code == 201, created.text
        session = _session(api, custom_field_values={"order_ref": "PO-5", "size": "s"})
        paid = api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
        assert paid.status_code == 200, paid.text
        receiver.wait_for(lambda: len(receiver.on("/hook")) >= 1)
        delivery = receiver.on("/hook")[0]
        event = Webhook(created.json()["secret"]).verify(delivery.body, delivery.headers)
    fields = event["data"]["object"]["custom_fields"]
    assert [(field["key"], field["value"]) for field in fields] == [
        ("order_ref", "PO-5"),
        ("employees", None),
        ("size", "s"),
    ]
