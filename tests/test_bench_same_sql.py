"""The benchmark's same-SQL baseline (bench/): the plan rules and the report's shape.

The capture and replay through real processes are in
``tests/test_bench_same_sql_replay.py`` (several server starts per engine).
"""

from __future__ import annotations

import re
from pathlib import Path

from bench import same_sql
from bench.capture import FETCH, Recording, Step
from bench.replay import Binder, Target, build_plan
from bench.report import latest


def _recording(event_id: str, checkout_id: str, pk: int) -> Recording:
    return Recording(
        "POST",
        f"/v1/checkouts/{checkout_id}/complete",
        [
            Step(0, FETCH, "SELECT * FROM checkouts WHERE id = ?", ("acct_1", checkout_id)),
            Step(
                0,
                FETCH,
                "INSERT INTO events (id, data) VALUES (?, ?)",
                (event_id, f'{{"object": {{"id": "{checkout_id}", "event": "{event_id}"}}}}'),
                returned=(500 + pk,),
            ),
            Step(0, FETCH, "UPDATE x SET a = ? WHERE pk = ? AND ev = ?", (2, pk, 500 + pk)),
        ],
    )


def test_plan_binds_target_fresh_ids_and_returned_keys() -> None:
    one, two = Target("cs_aaaaaaaaaa01", 41, "tok" * 10), Target("cs_bbbbbbbbbb02", 42, "kot" * 10)
    plan, warnings = build_plan(
        [
            (_recording("evt_AAAAAAAAAAAA", one.id, one.pk), one),
            (_recording("evt_BBBBBBBBBBBB", two.id, two.pk), two),
        ]
    )
    assert warnings == []
    assert plan.fresh == {"evt_BBBBBBBBBBBB"}  # the account id and amounts stay as captured
    new = Target("cs_cccccccccc03", 77, "x" * 30)
    binder = Binder(plan, new)
    select, insert, update = plan.steps
    assert binder.args(select) == ("acct_1", new.id)
    event_id, document = binder.args(insert)
    assert re.fullmatch(r"evt_[A-Za-z0-9]{12}", event_id) and event_id != "evt_BBBBBBBBBBBB"
    assert new.id in document and event_id in document
    binder.returned(insert.returned, (901,))  # the replayed INSERT's own key
    assert binder.args(update) == (2, 77, 901)


def test_plan_prefers_the_sequence_most_requests_ran() -> None:
    target = Target("cs_aaaaaaaaaa01", 41, "t" * 30)
    short = _recording("evt_AAAAAAAAAAAA", target.id, 41)
    longer = Recording(short.method, short.path, [Step(0, FETCH, "SELECT 1", ()), *short.steps])
    plan, warnings = build_plan([(longer, target), (short, target), (short, target)])
    assert len(plan.steps) == 3
    assert warnings and "2 of 3" in warnings[0]


def test_latest_json_keeps_its_shape_and_adds_the_same_sql_figures() -> None:
    level = {"concurrency": 1, "rps": 100.0, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 0}
    fast = {**level, "concurrency": 32, "rps": 200.0}
    operations = {
        op: {
            "opencheckout": [level, fast],
            "baseline": [level],
            "same_sql": [{**level, "rps": 250.0}],
        }
        for op in ("create", "retrieve", "update", "list", "complete")
    }
    scale = {"list_p50_growth": 1.1, "retrieve_p50_growth": 1.0}
    head = latest({"sqlite": {"operations": operations, "scale": scale}})["sqlite"]
    assert set(head["create"]) >= {"rps", "p50_ms", "p99_ms", "errors", "baseline_rps", "ratio"}
    assert head["create"]["ratio"] == 2.0
    assert head["create"]["same_sql_baseline_rps"] == 250.0
    assert head["create"]["same_sql_ratio"] == 0.8
    assert head["list_p50_growth_10k_to_1m"] == 1.1
    assert head["throughput_by_clients"]["list"] == {"c1": 100.0, "c32": 200.0}


def test_bench_package_is_importable_from_the_repository() -> None:
    assert Path(same_sql.__file__).parent.name == "bench"
