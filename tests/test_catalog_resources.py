"""What every tenant-owned catalog resource shares, now written once
(``TenantRepository`` in the store, ``TenantResource`` in the service): a key
another account or the other mode owns is a 404 on ``id`` for retrieve, update
and delete; a cursor id it owns is a 404 on the cursor parameter; pages run
newest first both ways. Over HTTP, on both engines, for each resource."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import client_for
from tests.factories import assert_error

_serial = itertools.count()


@dataclass(frozen=True)
class Kind:
    path: str
    noun: str
    change: dict[str, Any]
    deletable: bool

    def body(self) -> dict[str, Any]:
        n = next(_serial)
        bodies: dict[str, dict[str, Any]] = {
            "/v1/products": {
                "id": f"sku-{n}",
                "name": "Mug",
                "unit_amount": 900,
                "currency": "eur",
            },
            "/v1/coupons": {"percent_off": 10, "code": f"TEN{n}"},
            "/v1/tax_rates": {"display_name": "VAT", "percentage": 21, "inclusive": True},
            "/v1/webhook_endpoints": {
                "url": f"https://hooks.example.com/{n}",
                "enabled_events": ["*"],
            },
            "/v1/shipping_rates": {"display_name": "Standard", "amount": 500, "currency": "eur"},
            "/v1/shipping_promotions": {"min_subtotal": 1000, "currency": "eur"},
            "/v1/customers": {"email": f"buyer{n}@example.com"},
        }
        return bodies[self.path]


KINDS = [
    Kind("/v1/products", "product", {"name": "Big mug"}, deletable=False),
    Kind("/v1/coupons", "coupon", {"name": "Ten"}, deletable=True),
    Kind("/v1/tax_rates", "tax rate", {"display_name": "IVA"}, deletable=False),
    Kind("/v1/webhook_endpoints", "webhook endpoint", {"description": "x"}, deletable=True),
    Kind("/v1/shipping_rates", "shipping rate", {"display_name": "Fast"}, deletable=True),
    Kind("/v1/shipping_promotions", "shipping promotion", {"display_name": "Free"}, deletable=True),
    Kind("/v1/customers", "customer", {"name": "Ada"}, deletable=True),
]


def make(api: httpx.Client, kind: Kind) -> dict[str, Any]:
    response = api.post(kind.path, json=kind.body())
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _missing(response: httpx.Response, kind: Kind, key: str, param: str) -> None:
    error = assert_error(response, 404, code="resource_missing", param=param)
    assert error["message"] == f"No such {kind.noun}: '{key}'."


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.noun)
def test_another_tenant_sees_404_everywhere(api, server, account, other_account, kind):
    made = make(api, kind)
    url = f"{kind.path}/{made['id']}"
    for key in (other_account.secret_key, account.live_key):
        with client_for(server, key) as elsewhere:
            _missing(elsewhere.get(url), kind, made["id"], "id")
            _missing(elsewhere.patch(url, json=kind.change), kind, made["id"], "id")
            if kind.deletable:
                _missing(elsewhere.delete(url), kind, made["id"], "id")
            for cursor in ("starting_after", "ending_before"):
                listed = elsewhere.get(kind.path, params={cursor: made["id"]})
                _missing(listed, kind, made["id"], cursor)
            assert elsewhere.get(kind.path).json()["data"] == []
    # Nothing the other tenants tried touched it (the secret is shown on create only).
    assert api.get(url).json() == {name: value for name, value in made.items() if name != "secret"}


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.noun)
def test_pages_run_newest_first_both_ways(api, kind):
    ids = [make(api, kind)["id"] for _ in range(4)][::-1]
    first = api.get(kind.path, params={"limit": 2}).json()
    assert [row["id"] for row in first["data"]] == ids[:2] and first["has_more"] is True
    rest = api.get(kind.path, params={"limit": 5, "starting_after": ids[1]}).json()
    assert [row["id"] for row in rest["data"]] == ids[2:] and rest["has_more"] is False
    back = api.get(kind.path, params={"limit": 2, "ending_before": ids[3]}).json()
    assert [row["id"] for row in back["data"]] == ids[1:3] and back["has_more"] is True
    _missing(api.get(kind.path, params={"starting_after": "nope"}), kind, "nope", "starting_after")


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.noun)
def test_update_and_delete_of_the_owner(api, kind):
    made = make(api, kind)
    url = f"{kind.path}/{made['id']}"
    changed = api.patch(url, json=kind.change)
    assert changed.status_code == 200, changed.text
    assert {name: changed.json()[name] for name in kind.change} == kind.change
    assert api.get(url).json() == changed.json()
    _missing(api.patch(f"{kind.path}/nope", json=kind.change), kind, "nope", "id")
    if kind.deletable:
        assert api.delete(url).status_code == 204
        _missing(api.get(url), kind, made["id"], "id")
        _missing(api.delete(url), kind, made["id"], "id")
        assert made["id"] not in [row["id"] for row in api.get(kind.path).json()["data"]]


@pytest.mark.parametrize(
    ("path", "field"),
    [("/v1/products", "active"), ("/v1/coupons", "active"), ("/v1/tax_rates", "active")],
)
def test_active_filter(api, path, field):
    kind = next(kind for kind in KINDS if kind.path == path)
    on, off = make(api, kind), make(api, kind)
    assert api.patch(f"{path}/{off['id']}", json={field: False}).status_code == 200
    for value, expected in (("true", [on["id"]]), ("false", [off["id"]])):
        listed = api.get(path, params={field: value}).json()["data"]
        assert [row["id"] for row in listed] == expected
    assert [row["id"] for row in api.get(path).json()["data"]] == [off["id"], on["id"]]
