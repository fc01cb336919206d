"""Status transitions, each allowed one and each refused one."""

from __future__ import annotations

import time

from tests.factories import DECLINED_CARD, GOOD_CARD, assert_error, create_session


def complete(api, sid, payment=None):
    return api.post(f"/v1/checkouts/{sid}/complete", json={"payment": payment or GOOD_CARD})


def test_complete_with_good_card(api):
    session = create_session(api)
    response = complete(api, session["id"])
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["status"] == "completed"
    assert done["payment_status"] == "paid"
    assert done["processor"] == "test"
    assert done["processor_id"].startswith("pay_test_")
    assert done["completed_at"] is not None
    assert done["ready_for_payment"] is False
    assert api.get(f"/v1/checkouts/{session['id']}").json() == done
    # completed is final
    assert_error(complete(api, session["id"]), 409, code="checkout_not_payable")
    assert_error(
        api.patch(f"/v1/checkouts/{session['id']}", json={"locale": "es"}),
        409,
        code="checkout_not_editable",
    )
    assert_error(
        api.post(f"/v1/checkouts/{session['id']}/cancel"), 409, code="checkout_not_cancelable"
    )
    assert_error(api.delete(f"/v1/checkouts/{session['id']}"), 409, code="checkout_not_deletable")
    assert_error(
        api.post(f"/v1/checkouts/{session['id']}/recover"), 409, code="checkout_not_recoverable"
    )


def test_declined_card_fails_and_retry_succeeds(api):
    session = create_session(api)
    declined = complete(api, session["id"], DECLINED_CARD)
    error = assert_error(declined, 402, code="card_declined")
    assert error["type"] == "card_error"
    failed = api.get(f"/v1/checkouts/{session['id']}").json()
    assert failed["status"] == "failed"
    assert failed["payment_status"] == "unpaid"
    assert failed["ready_for_payment"] is True
    # failed sessions stay editable and payable
    edited = api.patch(f"/v1/checkouts/{session['id']}", json={"locale": "fr"})
    assert edited.status_code == 200 and edited.json()["status"] == "failed"
    retried = complete(api, session["id"])
    assert retried.status_code == 200
    assert retried.json()["status"] == "completed"


def test_paypal_and_method_rules(api):
    paypal_only = create_session(api, payment_methods=["paypal"])
    assert_error(
        complete(api, paypal_only["id"]),
        422,
        code="payment_method_not_allowed",
        param="payment.method",
    )
    assert complete(api, paypal_only["id"], {"method": "paypal"}).json()["status"] == "completed"

    card = create_session(api)
    assert_error(complete(api, card["id"], {"method": "card"}), 422, param="payment.card_number")
    assert_error(complete(api, card["id"], {"method": "cash"}), 422, param="payment.method")
    assert_error(api.post(f"/v1/checkouts/{card['id']}/complete", json={}), 422, param="payment")
    assert api.get(f"/v1/checkouts/{card['id']}").json()["status"] == "pending"


def test_completing_an_unready_session_is_409_with_missing_fields(api):
    session = create_session(api, customer={"first_name": "Ada"}, billing_details_collection="auto")
    response = complete(api, session["id"])
    error = assert_error(response, 409, code="checkout_not_ready", param="customer.email")
    assert error["missing_fields"] == ["customer.email"]
    fixed = api.patch(
        f"/v1/checkouts/{session['id']}", json={"customer": {"email": "a@example.com"}}
    )
    assert fixed.json()["ready_for_payment"] is True
    assert fixed.json()["customer"]["first_name"] == "Ada"  # merged, not replaced
    assert complete(api, session["id"]).json()["status"] == "completed"


def test_cancel_abandons_and_recover_copies(api):
    session = create_session(api, metadata={"order": "1001"}, client_reference_id="order-1001")
    cancelled = api.post(f"/v1/checkouts/{session['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "abandoned"
    assert_error(
        api.post(f"/v1/checkouts/{session['id']}/cancel"), 409, code="checkout_not_cancelable"
    )
    assert_error(complete(api, session["id"]), 409, code="checkout_not_payable")
    assert_error(api.patch(f"/v1/checkouts/{session['id']}", json={}), 409)

    recovered = api.post(f"/v1/checkouts/{session['id']}/recover")
    assert recovered.status_code == 201
    copy = recovered.json()
    assert copy["id"] != session["id"]
    assert copy["status"] == "pending"
    assert copy["recovered_from"] == session["id"]
    assert copy["permalink"] != session["permalink"]
    assert copy["amount_total"] == session["amount_total"]
    assert [i["product"] for i in copy["line_items"]] == [
        i["product"] for i in session["line_items"]
    ]
    assert {i["id"] for i in copy["line_items"]}.isdisjoint(
        {i["id"] for i in session["line_items"]}
    )
    assert copy["metadata"] == {"order": "1001"}
    assert copy["customer"] == session["customer"]
    assert complete(api, copy["id"]).json()["status"] == "completed"


def test_delete_only_pending(api):
    session = create_session(api)
    assert api.delete(f"/v1/checkouts/{session['id']}").status_code == 204
    assert_error(api.get(f"/v1/checkouts/{session['id']}"), 404)
    assert_error(api.delete(f"/v1/checkouts/{session['id']}"), 404)

    failed = create_session(api)
    complete(api, failed["id"], DECLINED_CARD)
    assert_error(api.delete(f"/v1/checkouts/{failed['id']}"), 409, code="checkout_not_deletable")


def test_expiry_reads_as_abandoned_before_any_job_runs(api):
    session = create_session(api, abandon_after_seconds=1)
    assert session["status"] == "pending"
    time.sleep(1.2)
    expired = api.get(f"/v1/checkouts/{session['id']}").json()
    assert expired["status"] == "abandoned"
    assert expired["ready_for_payment"] is False
    assert_error(complete(api, session["id"]), 409, code="checkout_not_payable")
    assert_error(
        api.patch(f"/v1/checkouts/{session['id']}", json={}), 409, code="checkout_not_editable"
    )
    listed = api.get("/v1/checkouts", params={"status": "abandoned"}).json()["data"]
    assert [s["id"] for s in listed] == [session["id"]]
    assert api.get("/v1/checkouts", params={"status": "pending"}).json()["data"] == []
    assert api.post(f"/v1/checkouts/{session['id']}/recover").status_code == 201


def test_activity_pushes_expiry_forward(api):
    session = create_session(api, abandon_after_seconds=2)
    time.sleep(1.1)
    updated = api.patch(f"/v1/checkouts/{session['id']}", json={"locale": "de"}).json()
    assert updated["expires_at"] > session["expires_at"]
    time.sleep(1.1)  # past the original expiry, within the pushed one
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"


def test_test_processor_card_outcomes(api):
    for number, code in (
        ("4000 0000 0000 9995", "insufficient_funds"),
        ("4242 4242 4242 4241", "incorrect_number"),
        ("4111 1111 1111 1111", "test_mode_live_card"),
    ):
        session = create_session(api)
        response = complete(api, session["id"], {"method": "card", "card_number": number})
        assert_error(response, 402, code=code)
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "failed"
    mastercard = create_session(api)
    paid = complete(api, mastercard["id"], {"method": "card", "card_number": "5555-5555-5555-4444"})
    assert paid.json()["status"] == "completed"
