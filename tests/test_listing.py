"""Listing: cursor and page pagination, ordering and filters."""

from __future__ import annotations

import time
from datetime import datetime

from tests.factories import DECLINED_CARD, GOOD_CARD, assert_error, create_session, session_body


def create_many(api, count: int) -> list[str]:
    ids = []
    for index in range(count):
        response = api.post(
            "/v1/checkouts",
            json=session_body(
                line_items=[
                    {"product": f"sku-{index % 7}", "unit_amount": 100 + index, "quantity": 1}
                ],
                client_reference_id=f"ref-{index}",
            ),
        )
        assert response.status_code == 201
        ids.append(response.json()["id"])
    return ids


def test_cursor_and_page_pagination_over_250_sessions(api):
    created = create_many(api, 250)
    newest_first = list(reversed(created))

    # forwards with starting_after
    seen: list[str] = []
    params: dict[str, object] = {"limit": 40}
    while True:
        page = api.get("/v1/checkouts", params=params).json()
        assert page["object"] == "list" and page["url"] == "/v1/checkouts"
        assert "total_count" not in page  # no COUNT on cursor pages
        seen.extend(s["id"] for s in page["data"])
        if not page["has_more"]:
            break
        params = {"limit": 40, "starting_after": page["data"][-1]["id"]}
    assert seen == newest_first

    # backwards with ending_before from the oldest
    back: list[str] = []
    params = {"limit": 33, "ending_before": created[0]}
    while True:
        page = api.get("/v1/checkouts", params=params).json()
        back = [s["id"] for s in page["data"]] + back
        if not page["has_more"]:
            break
        params = {"limit": 33, "ending_before": page["data"][0]["id"]}
    assert back == newest_first[:-1]

    # numbered pages
    numbered: list[str] = []
    first = api.get("/v1/checkouts", params={"page": 1, "limit": 100}).json()
    assert first["total_count"] == 250 and first["page"] == 1 and first["limit"] == 100
    assert first["links"]["prev"] is None and "page=2" in first["links"]["next"]
    assert "page=3" in first["links"]["last"]
    for number in (1, 2, 3):
        page = api.get("/v1/checkouts", params={"page": number, "limit": 100}).json()
        numbered.extend(s["id"] for s in page["data"])
        assert page["has_more"] is (number < 3)
    assert numbered == newest_first
    last = api.get("/v1/checkouts", params={"page": 3, "limit": 100}).json()
    assert last["links"]["next"] is None and len(last["data"]) == 50
    beyond = api.get("/v1/checkouts", params={"page": 4, "limit": 100}).json()
    assert beyond["data"] == [] and beyond["has_more"] is False


def test_default_limit_and_bounds(api):
    create_many(api, 25)
    page = api.get("/v1/checkouts").json()
    assert len(page["data"]) == 20 and page["has_more"] is True
    assert_error(api.get("/v1/checkouts", params={"limit": 0}), 422, param="limit")
    assert_error(api.get("/v1/checkouts", params={"limit": 101}), 422, param="limit")
    assert_error(api.get("/v1/checkouts", params={"page": 0}), 422, param="page")
    assert_error(
        api.get("/v1/checkouts", params={"starting_after": "cs_nope"}), 404, param="starting_after"
    )
    assert_error(api.get("/v1/checkouts", params={"status": "lost"}), 422, param="status")
    assert_error(
        api.get("/v1/checkouts", params={"created[gte]": "yesterday"}), 422, param="created[gte]"
    )


def test_unknown_cursors_name_the_checkout(api):
    # Every list path: filtered or not (the plain status list has a statement of its own).
    for query in ("", "status=pending&", "email=nobody@example.com&"):
        for param in ("starting_after", "ending_before"):
            error = assert_error(api.get(f"/v1/checkouts?{query}{param}=cs_nope"), 404, param=param)
            assert error["message"] == "No such checkout: 'cs_nope'."


def test_filters_alone_and_combined(api, other_account, server):
    a = create_session(
        api, customer={"id": "cus_a", "email": "Ann@Example.com"}, billing_details_collection="auto"
    )
    b = create_session(
        api,
        customer={"id": "cus_b", "email": "bob@example.com"},
        billing_details_collection="auto",
        client_reference_id="order-b",
        line_items=[
            {"product": "sku-special", "unit_amount": 500},
            {"product": "sku-x", "unit_amount": 1},
        ],
    )
    c = create_session(
        api, customer={"id": "cus_a", "email": "ann@example.com"}, billing_details_collection="auto"
    )
    api.post(f"/v1/checkouts/{a['id']}/complete", json={"payment": GOOD_CARD})
    api.post(f"/v1/checkouts/{b['id']}/complete", json={"payment": DECLINED_CARD})
    paid = api.get(f"/v1/checkouts/{a['id']}").json()

    def ids(**params) -> list[str]:
        response = api.get("/v1/checkouts", params=params)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["data"]]

    assert ids(status="completed") == [a["id"]]
    assert ids(status="failed") == [b["id"]]
    assert ids(status=["completed", "failed"]) == [b["id"], a["id"]]
    assert ids(**{"status[]": ["pending", "failed"]}) == [c["id"], b["id"]]
    assert ids(customer="cus_a") == [c["id"], a["id"]]
    assert ids(email="ann@example.com") == [c["id"], a["id"]]
    assert ids(email="ANN@example.com", status="pending") == [c["id"]]
    assert ids(**{"ids[]": [a["id"], c["id"]]}) == [c["id"], a["id"]]
    assert ids(product="sku-special") == [b["id"]]
    assert ids(product="sku-shirt", customer="cus_a") == [c["id"], a["id"]]
    assert ids(product="nothing") == []
    assert ids(payment_status="paid") == [a["id"]]
    assert ids(payment_status="unpaid", customer="cus_b") == [b["id"]]
    assert ids(client_reference_id="order-b") == [b["id"]]
    assert ids(processor_id=paid["processor_id"]) == [a["id"]]
    created_a = datetime.fromisoformat(a["created_at"].replace("Z", "+00:00"))
    assert ids(**{"created[gte]": a["created_at"]}) == [c["id"], b["id"], a["id"]]
    assert ids(**{"created[gt]": a["created_at"], "created[lte]": c["created_at"]}) == [
        c["id"],
        b["id"],
    ]
    assert ids(**{"created[lt]": b["created_at"]}) == [a["id"]]
    assert a["id"] in ids(**{"created[gte]": str(int(created_a.timestamp()))})
    assert ids(**{"created[gt]": str(int(time.time()) + 60)}) == []


def test_list_pages_through_filtered_results(api):
    create_many(api, 30)
    seen: list[str] = []
    params: dict[str, object] = {"limit": 4, "product": "sku-3"}
    while True:
        page = api.get("/v1/checkouts", params=params).json()
        seen.extend(s["client_reference_id"] for s in page["data"])
        if not page["has_more"]:
            break
        params = {**params, "starting_after": page["data"][-1]["id"]}
    assert seen == [f"ref-{i}" for i in reversed(range(30)) if i % 7 == 3]


def test_line_items_endpoint(api):
    session = create_session(api)
    listing = api.get(f"/v1/checkouts/{session['id']}/line_items").json()
    assert listing["object"] == "list"
    assert listing["data"] == session["line_items"]
    assert listing["has_more"] is False
    assert_error(api.get("/v1/checkouts/cs_missing/line_items"), 404)
