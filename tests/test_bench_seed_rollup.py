"""The bench's seeder keeps the overview's rollup as the service's writes would: after
cloning a mixed account (bulk or not), the rollup says what the sessions say."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bench import seed

from tests.conftest import Account, Server
from tests.factories import create_session
from tests.test_overview_rollup import direct_and_rolled_up


def test_seeded_clones_are_in_the_rollup(server: Server, account: Account, api) -> None:
    template = create_session(api)
    url = server.database_url
    db_account = asyncio.run(
        seed.fetch_ids(url, "SELECT account_id FROM checkouts WHERE id = $1", template["id"])
    )[0]
    asyncio.run(seed.clone(url, template["id"], db_account, seed.Clones("roll", 1, 40), mixed=True))
    asyncio.run(
        seed.clone(
            url, template["id"], db_account, seed.Clones("roll", 41, 100), mixed=True, bulk=True
        )
    )
    direct, rolled = asyncio.run(direct_and_rolled_up(url, account.secret_key, datetime.now(UTC)))
    assert rolled == direct
    assert sum(n for _day, n in direct["created"]) == 101
    assert sum(row[2] for row in direct["completed"]) == 60  # 6 in 10 clones completed
    assert direct["abandoned"] == 30
