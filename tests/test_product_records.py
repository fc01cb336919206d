"""The catalog lookup for pricing (store/product_records.py) on both engines: the
driver read (``get_many``, through ``Database.fetch``) and the transaction read
(``get_many_in``) give the same values, scoped to the tenant."""

from __future__ import annotations

import asyncio

from opencheckout.domain.catalog import CatalogProduct
from opencheckout.service.auth import ensure_account
from opencheckout.store import product_records
from opencheckout.store.db import Database
from opencheckout.store.tenant import Tenant
from tests.pricing_helpers import product, tax_rate


async def _both_reads(
    database_url: str, account_name: str, skus: list[str], *, livemode: bool = False
) -> tuple[dict[str, CatalogProduct], dict[str, CatalogProduct]]:
    db = Database(database_url)
    try:
        tenant = Tenant((await ensure_account(db, account_name)).id, livemode)
        by_driver = await product_records.get_many(db, tenant, skus)
        async with db.read() as session:
            in_transaction = await product_records.get_many_in(session, tenant, skus)
    finally:
        await db.dispose()
    return by_driver, in_transaction


def test_driver_and_transaction_reads_give_the_same_products(api, server, account):
    vat = tax_rate(api, 21, True)
    product(api, id="SHIRT", name="Shirt", description="Cotton", unit_amount=2500)
    product(api, id="MUG", name="Mug", unit_amount=900, tax_rates=[vat["id"]], stock=3)
    product(api, id="OLD", name="Old", unit_amount=100)
    api.post("/v1/products/OLD/archive")

    skus = ["MUG", "SHIRT", "OLD", "NOPE", "SHIRT"]
    by_driver, in_transaction = asyncio.run(_both_reads(server.database_url, account.name, skus))
    assert by_driver == in_transaction
    assert sorted(by_driver) == ["MUG", "OLD", "SHIRT"]  # archived kept, unknown left out
    assert by_driver["SHIRT"] == CatalogProduct(
        sku="SHIRT",
        name="Shirt",
        description="Cotton",
        unit_amount=2500,
        currency="eur",
        tax_rates=(),
        active=True,
        stock=None,
    )
    assert by_driver["MUG"].tax_rates == (vat["id"],) and by_driver["MUG"].stock == 3
    assert by_driver["OLD"].active is False


def test_reads_are_scoped_to_the_tenant(api, server, account, other_account):
    product(api, id="ONLY-MINE", unit_amount=100)
    for name, livemode in ((other_account.name, False), (account.name, True)):
        by_driver, in_transaction = asyncio.run(
            _both_reads(server.database_url, name, ["ONLY-MINE"], livemode=livemode)
        )
        assert by_driver == in_transaction == {}


def test_no_skus_reads_nothing(server, account):
    assert asyncio.run(_both_reads(server.database_url, account.name, [])) == ({}, {})


def test_many_skus_in_one_read(api, server, account):
    skus = [product(api, unit_amount=n + 1)["id"] for n in range(12)]
    by_driver, in_transaction = asyncio.run(_both_reads(server.database_url, account.name, skus))
    assert by_driver == in_transaction
    assert sorted(by_driver) == sorted(skus)
    assert {record.unit_amount for record in by_driver.values()} == set(range(1, 13))
