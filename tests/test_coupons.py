"""Coupons and codes: the resource, applying them to sessions, and redemptions."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import client_for
from tests.factories import DECLINED_CARD, GOOD_CARD, assert_error, create_session, session_body
from tests.pricing_helpers import assert_invariants, complete, coupon, unique_code

LINES = [{"product": "shirt", "unit_amount": 4000}, {"product": "socks", "unit_amount": 1000}]


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def event_types(api, object_id: str) -> list[str]:
    events = api.get("/v1/events", params={"type": "coupon.*", "limit": 100}).json()["data"]
    return [e["type"] for e in reversed(events) if e["data"]["object"]["id"] == object_id]


# --------------------------------------------------------------------------- #
# The coupon resource
# --------------------------------------------------------------------------- #


def test_coupon_crud_and_events(api):
    code = unique_code("SUMMER")
    made = coupon(
        api,
        name="Summer sale",
        percent_off="12.5",
        code=code,
        max_redemptions=100,
        redeem_by=2_000_000_000,
        applies_to={"products": ["shirt", "shirt", "hat"]},
        metadata={"campaign": "s26"},
    )
    assert made["id"].startswith("coupon_") and made["object"] == "coupon"
    assert made["percent_off"] == 12.5 and made["amount_off"] is None
    assert made["currency"] is None and made["code"] == code
    assert made["redeem_by"] == "2033-05-18T03:33:20Z"
    assert made["applies_to"] == {"products": ["shirt", "hat"]}
    assert (made["times_redeemed"], made["active"], made["valid"]) == (0, True, True)
    assert api.get(f"/v1/coupons/{made['id']}").json() == made

    fixed = coupon(api, amount_off=500, currency="EUR")
    assert (fixed["amount_off"], fixed["currency"], fixed["code"]) == (500, "eur", None)
    assert fixed["applies_to"] is None and fixed["max_redemptions"] is None

    updated = api.patch(
        f"/v1/coupons/{made['id']}",
        json={"name": "Late summer", "active": False, "metadata": {"campaign": ""}},
    ).json()
    assert updated["name"] == "Late summer" and updated["metadata"] == {}
    assert (updated["active"], updated["valid"]) == (False, False)
    for field, value in (("percent_off", 50), ("code", "OTHER"), ("max_redemptions", 5)):
        assert_error(
            api.patch(f"/v1/coupons/{made['id']}", json={field: value}),
            422,
            code="parameter_unknown",
            param=field,
        )
    assert_error(api.patch(f"/v1/coupons/{made['id']}", json={"active": None}), 422)

    assert api.delete(f"/v1/coupons/{made['id']}").status_code == 204
    assert_error(api.get(f"/v1/coupons/{made['id']}"), 404, code="resource_missing", param="id")
    assert_error(api.delete(f"/v1/coupons/{made['id']}"), 404)
    assert event_types(api, made["id"]) == ["coupon.created", "coupon.updated", "coupon.deleted"]
    # Deleting frees the code.
    assert coupon(api, percent_off=5, code=code.lower())["code"] == code.lower()


def test_coupon_list_pages_and_filters(api):
    ids = [coupon(api, percent_off=n + 1)["id"] for n in range(5)]
    api.patch(f"/v1/coupons/{ids[0]}", json={"active": False})
    newest = list(reversed(ids))
    page = api.get("/v1/coupons", params={"limit": 2}).json()
    assert [c["id"] for c in page["data"]] == newest[:2] and page["has_more"] is True
    rest = api.get("/v1/coupons", params={"starting_after": newest[1], "limit": 10}).json()
    assert [c["id"] for c in rest["data"]] == newest[2:] and rest["has_more"] is False
    back = api.get("/v1/coupons", params={"ending_before": newest[3]}).json()
    assert [c["id"] for c in back["data"]] == newest[:3]
    assert [c["id"] for c in api.get("/v1/coupons", params={"active": False}).json()["data"]] == [
        ids[0]
    ]
    assert_error(
        api.get("/v1/coupons", params={"ending_before": "coupon_nope"}), 404, param="ending_before"
    )


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({}, "percent_off", "parameter_missing"),
        ({"percent_off": 10, "amount_off": 100, "currency": "eur"}, "percent_off", None),
        ({"amount_off": 100}, "currency", "parameter_missing"),
        ({"percent_off": 10, "currency": "eur"}, "currency", None),
        ({"percent_off": 0}, "percent_off", "percentage_invalid"),
        ({"percent_off": 100.5}, "percent_off", "percentage_invalid"),
        ({"percent_off": "33.333"}, "percent_off", "percentage_invalid"),
        ({"percent_off": 33.333}, "percent_off", "percentage_invalid"),
        ({"percent_off": "ten"}, "percent_off", "percentage_invalid"),
        ({"amount_off": 0, "currency": "eur"}, "amount_off", None),
        ({"amount_off": 1.5, "currency": "eur"}, "amount_off", None),
        ({"amount_off": 100, "currency": "xyz"}, "currency", "currency_invalid"),
        ({"percent_off": 10, "code": "no spaces"}, "code", None),
        ({"percent_off": 10, "code": "x" * 51}, "code", None),
        ({"percent_off": 10, "max_redemptions": 0}, "max_redemptions", None),
        ({"percent_off": 10, "redeem_by": "next week"}, "redeem_by", "timestamp_invalid"),
        ({"percent_off": 10, "redeem_by": 1_000_000}, "redeem_by", None),
        ({"percent_off": 10, "applies_to": {"products": []}}, "applies_to.products", None),
        (
            {"percent_off": 10, "applies_to": {"skus": ["a"]}},
            "applies_to.products",
            "parameter_missing",
        ),
        ({"percent_off": 10, "times_redeemed": 3}, "times_redeemed", "parameter_unknown"),
    ],
)
def test_coupon_validation(api, body, param, code):
    assert_error(api.post("/v1/coupons", json=body), 422, code=code, param=param)
    assert api.get("/v1/coupons").json()["data"] == []


def test_codes_are_unique_per_account_and_mode_ignoring_case(api, server, account, other_account):
    code = unique_code("Spring")
    mine = coupon(api, percent_off=10, code=code)
    assert_error(
        api.post("/v1/coupons", json={"percent_off": 20, "code": code.upper()}),
        409,
        code="coupon_code_exists",
        param="code",
    )
    with client_for(server, other_account.secret_key) as other:
        assert coupon(other, percent_off=30, code=code)["code"] == code
        assert_error(other.get(f"/v1/coupons/{mine['id']}"), 404)
        assert_error(other.delete(f"/v1/coupons/{mine['id']}"), 404)
        # Their code means their coupon.
        session = create_session(other, discounts=[{"code": code.lower()}])
        assert session["discounts"][0]["percent_off"] == 30.0
        response = other.post(
            "/v1/checkouts", json=session_body(discounts=[{"coupon": mine["id"]}])
        )
        assert_error(response, 422, code="coupon_invalid", param="discounts[0].coupon")
    with client_for(server, account.live_key) as live:
        assert coupon(live, percent_off=40, code=code)["livemode"] is True
    with client_for(server, account.read_key) as read:
        assert read.get(f"/v1/coupons/{mine['id']}").status_code == 200
        assert_error(read.post("/v1/coupons", json={"percent_off": 1}), 403)


def test_concurrent_creates_of_one_code_make_one_coupon(server, account, api):
    code = unique_code("RACE")

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {account.secret_key}"}
        ) as client:
            return await asyncio.gather(
                *(
                    client.post("/v1/coupons", json={"percent_off": 5, "code": code})
                    for _ in range(8)
                )
            )

    statuses = sorted(r.status_code for r in asyncio.run(burst()))
    assert statuses == [201] + [409] * 7, statuses


# --------------------------------------------------------------------------- #
# Applying coupons to sessions
# --------------------------------------------------------------------------- #


def test_discounts_by_id_and_by_code_ignoring_case(api):
    code = unique_code("Ten")
    by_code = coupon(api, percent_off=10, code=code, name="Ten off")
    by_id = coupon(api, amount_off=300, currency="eur")
    session = create_session(
        api, line_items=LINES, discounts=[{"code": code.swapcase()}, {"coupon": by_id["id"]}]
    )
    assert session["discounts"] == [
        {
            "coupon": by_code["id"],
            "code": code,
            "name": "Ten off",
            "percent_off": 10.0,
            "amount_off": None,
            "currency": None,
            "applied_by": "merchant",
            "amount": 500,
        },
        {
            "coupon": by_id["id"],
            "code": None,
            "name": None,
            "percent_off": None,
            "amount_off": 300,
            "currency": "eur",
            "applied_by": "merchant",
            "amount": 300,
        },
    ]
    assert session["amount_total"] == 5000 - 800
    assert_invariants(session)
    # PATCH replaces the list; [] removes them all.
    url = f"/v1/checkouts/{session['id']}"
    assert (
        api.patch(url, json={"discounts": [{"coupon": by_id["id"]}]}).json()["amount_discount"]
        == 300
    )
    cleared = api.patch(url, json={"discounts": []}).json()
    assert cleared["discounts"] == [] and cleared["amount_total"] == 5000
    # Redemption counts only on completion.
    assert api.get(f"/v1/coupons/{by_id['id']}").json()["times_redeemed"] == 0


def test_every_coupon_refusal_has_its_code(api):
    exhausted = coupon(api, percent_off=5, code=unique_code("ONCE"), max_redemptions=1)
    first = create_session(api, discounts=[{"coupon": exhausted["id"]}])
    assert complete(api, first["id"]).status_code == 200
    inactive = coupon(api, percent_off=5, code=unique_code("OFF"))
    api.patch(f"/v1/coupons/{inactive['id']}", json={"active": False})
    dollars = coupon(api, amount_off=100, currency="usd", code=unique_code("USD"))
    expiring = coupon(api, percent_off=5, code=unique_code("LATE"), redeem_by=soon(1))
    time.sleep(1.2)
    cases = [
        ([{"code": "NO-SUCH-CODE"}], "coupon_invalid", "discounts[0].code"),
        ([{"coupon": "coupon_missing"}], "coupon_invalid", "discounts[0].coupon"),
        ([{"code": expiring["code"]}], "coupon_expired", "discounts[0].code"),
        ([{"coupon": expiring["id"]}], "coupon_expired", "discounts[0].coupon"),
        ([{"code": exhausted["code"].lower()}], "coupon_exhausted", "discounts[0].code"),
        ([{"code": inactive["code"]}], "coupon_inactive", "discounts[0].code"),
        ([{"code": dollars["code"]}], "coupon_currency_mismatch", "discounts[0].code"),
        (
            [{"coupon": dollars["id"]}, {"code": dollars["code"]}],
            "coupon_currency_mismatch",
            "discounts[0].coupon",
        ),
        ([{"coupon": first["id"]}, {}], "parameter_invalid", "discounts[1]"),
        ([{"coupon": "a", "code": "b"}], "parameter_invalid", "discounts[0]"),
        ([{"coupon": "a"}] * 6, None, "discounts"),
    ]
    for discounts, code, param in cases:
        response = api.post("/v1/checkouts", json=session_body(discounts=discounts))
        error = assert_error(response, 422, code=code, param=param)
        assert error["type"] == "invalid_request_error"
    fine = coupon(api, percent_off=5)
    duplicate = api.post(
        "/v1/checkouts",
        json=session_body(discounts=[{"coupon": fine["id"]}, {"coupon": fine["id"]}]),
    )
    assert_error(duplicate, 422, code="coupon_duplicate", param="discounts[1].coupon")
    # The same refusals on update.
    session = create_session(api)
    assert_error(
        api.patch(f"/v1/checkouts/{session['id']}", json={"discounts": [{"code": "NOPE"}]}),
        422,
        code="coupon_invalid",
        param="discounts[0].code",
    )


def test_currency_change_must_not_strand_an_amount_off_coupon(api):
    euros = coupon(api, amount_off=100, currency="eur")
    session = create_session(api, discounts=[{"coupon": euros["id"]}])
    url = f"/v1/checkouts/{session['id']}"
    assert_error(
        api.patch(url, json={"currency": "usd"}),
        422,
        code="coupon_currency_mismatch",
        param="currency",
    )
    moved = api.patch(url, json={"currency": "usd", "discounts": []}).json()
    assert moved["currency"] == "usd" and moved["amount_discount"] == 0


def test_buyer_codes_need_coupon_collection(api):
    code = unique_code("BUYER")
    first = coupon(api, percent_off=10, code=code)
    second = coupon(api, percent_off=20, code=unique_code("BETTER"))
    merchant = coupon(api, amount_off=100, currency="eur")

    closed = create_session(api, line_items=LINES)
    assert_error(
        api.post(f"/v1/checkouts/{closed['id']}/discounts", json={"code": code}),
        409,
        code="coupon_collection_disabled",
    )
    assert_error(
        api.delete(f"/v1/checkouts/{closed['id']}/discounts/{first['id']}"),
        409,
        code="coupon_collection_disabled",
    )
    # The merchant can always set discounts.
    assert (
        api.patch(f"/v1/checkouts/{closed['id']}", json={"discounts": [{"code": code}]}).json()[
            "amount_discount"
        ]
        == 500
    )

    session = create_session(
        api, line_items=LINES, coupon_collection=True, discounts=[{"coupon": merchant["id"]}]
    )
    url = f"/v1/checkouts/{session['id']}/discounts"
    applied = api.post(url, json={"code": code.lower()})
    assert applied.status_code == 200, applied.text
    applied = applied.json()
    assert [(d["coupon"], d["applied_by"]) for d in applied["discounts"]] == [
        (merchant["id"], "merchant"),
        (first["id"], "buyer"),
    ]
    assert applied["amount_discount"] == 100 + 490
    assert_invariants(applied)
    # Applying it again changes nothing; another code replaces the buyer's first one.
    assert api.post(url, json={"code": code}).json()["discounts"] == applied["discounts"]
    replaced = api.post(url, json={"code": second["code"]}).json()
    assert [d["coupon"] for d in replaced["discounts"]] == [merchant["id"], second["id"]]
    for bad, error_code in (
        ("NOPE", "coupon_invalid"),
        ("", None),
    ):
        assert_error(api.post(url, json={"code": bad}), 422, code=error_code, param="code")
    assert_error(api.post(url, json={}), 422, code="parameter_missing", param="code")
    removed = api.delete(f"{url}/{second['id']}")
    assert removed.status_code == 200 and [d["coupon"] for d in removed.json()["discounts"]] == [
        merchant["id"]
    ]
    assert_error(api.delete(f"{url}/{second['id']}"), 404, param="coupon")
    assert_error(api.post("/v1/checkouts/cs_missing/discounts", json={"code": code}), 404)
    assert complete(api, session["id"]).json()["amount_total"] == 4900
    assert_error(api.post(url, json={"code": code}), 409, code="checkout_not_editable")


def test_sessions_keep_the_coupon_they_applied(api):
    fixed = coupon(api, amount_off=700, currency="eur", name="Welcome")
    session = create_session(api, discounts=[{"coupon": fixed["id"]}])
    api.patch(f"/v1/coupons/{fixed['id']}", json={"name": "Renamed"})
    edited = api.patch(f"/v1/checkouts/{session['id']}", json={"locale": "it"}).json()
    assert edited["discounts"][0]["name"] == "Welcome"
    assert edited["amount_discount"] == 700


# --------------------------------------------------------------------------- #
# Redemptions
# --------------------------------------------------------------------------- #


def test_redemption_counts_on_completion_and_declines_give_it_back(api):
    once = coupon(api, percent_off=50, max_redemptions=1)
    session = create_session(api, discounts=[{"coupon": once["id"]}])
    assert_error(complete(api, session["id"], DECLINED_CARD), 402, code="card_declined")
    assert api.get(f"/v1/coupons/{once['id']}").json()["times_redeemed"] == 0
    # Still redeemable, so another session may take it and pay first.
    other = create_session(api, discounts=[{"coupon": once["id"]}])
    paid = complete(api, other["id"])
    assert (
        paid.status_code == 200 and paid.json()["amount_total"] == 5799 - 2900
    )  # 2899.5 rounds up
    after = api.get(f"/v1/coupons/{once['id']}").json()
    assert (after["times_redeemed"], after["valid"]) == (1, False)
    # The first buyer's retry is refused, and the session stays payable without it.
    error = assert_error(
        complete(api, session["id"]), 409, code="coupon_exhausted", param="discounts[0].coupon"
    )
    assert "maximum" in error["message"]
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "failed"
    api.patch(f"/v1/checkouts/{session['id']}", json={"discounts": []})
    assert complete(api, session["id"]).json()["amount_total"] == 5799
    assert api.get(f"/v1/coupons/{once['id']}").json()["times_redeemed"] == 1


def test_completion_rechecks_redeemability(api):
    expiring = coupon(api, percent_off=10, redeem_by=soon(1))
    inactive = coupon(api, percent_off=10)
    deleted = coupon(api, percent_off=10)
    sessions = {
        name: create_session(api, discounts=[{"coupon": made["id"]}])
        for name, made in (("expired", expiring), ("inactive", inactive), ("deleted", deleted))
    }
    api.patch(f"/v1/coupons/{inactive['id']}", json={"active": False})
    api.delete(f"/v1/coupons/{deleted['id']}")
    time.sleep(1.2)
    for name, code in (
        ("expired", "coupon_expired"),
        ("inactive", "coupon_inactive"),
        ("deleted", "coupon_invalid"),
    ):
        checkout_id = sessions[name]["id"]
        assert_error(complete(api, checkout_id), 409, code=code, param="discounts[0].coupon")
        assert api.get(f"/v1/checkouts/{checkout_id}").json()["status"] == "pending"
    assert api.get(f"/v1/coupons/{inactive['id']}").json()["times_redeemed"] == 0


async def _complete_all(server, key: str, checkout_ids: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        base_url=server.url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
        limits=httpx.Limits(max_connections=len(checkout_ids)),
    ) as client:
        return await asyncio.gather(
            *(
                client.post(f"/v1/checkouts/{cid}/complete", json={"payment": GOOD_CARD})
                for cid in checkout_ids
            )
        )


def test_two_buyers_racing_for_the_last_redemption(server, account, api):
    last = coupon(api, percent_off=25, max_redemptions=1)
    ids = [create_session(api, discounts=[{"coupon": last["id"]}])["id"] for _ in range(2)]
    responses = asyncio.run(_complete_all(server, account.secret_key, ids))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["error"]["code"] == "coupon_exhausted"
    assert api.get(f"/v1/coupons/{last['id']}").json()["times_redeemed"] == 1
    states = sorted(api.get(f"/v1/checkouts/{cid}").json()["status"] for cid in ids)
    assert states == ["completed", "pending"]


def test_many_buyers_racing_never_exceed_max_redemptions(server, account, api):
    limited = coupon(api, amount_off=100, currency="eur", max_redemptions=3)
    ids = [create_session(api, discounts=[{"coupon": limited["id"]}])["id"] for _ in range(10)]
    responses = asyncio.run(_complete_all(server, account.secret_key, ids))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 3 and statuses.count(409) == 7, statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "coupon_exhausted"
    }
    assert api.get(f"/v1/coupons/{limited['id']}").json()["times_redeemed"] == 3
    completed = api.get("/v1/checkouts", params={"status": "completed", "limit": 100}).json()
    assert len(completed["data"]) == 3
