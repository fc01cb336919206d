"""The lifecycle's transition table (pure), and the rule that only the store's
compare-and-set (``store/lifecycle.py``) writes a session's status."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opencheckout.domain.errors import Conflict
from opencheckout.domain.lifecycle import (
    OPEN_STATUSES,
    REFUNDABLE_PAYMENTS,
    RULES,
    TRANSITIONS,
    Event,
    Expiry,
    PaymentStatus,
    Status,
    allows,
    check_refundable,
    decide,
    move_of,
    payment_status_after,
    refund_move,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)
EARLIER = NOW - timedelta(seconds=1)

#: What each event does from each stored status (not expired): the target, or the
#: error code that refuses it.
EXPECTED: dict[Event, dict[Status, Status | str | None]] = {
    Event.CLAIM: {
        Status.PENDING: Status.PROCESSING,
        Status.FAILED: Status.PROCESSING,
        Status.PROCESSING: "checkout_not_payable",
        Status.COMPLETED: "checkout_not_payable",
        Status.ABANDONED: "checkout_not_payable",
    },
    Event.COMPLETE_FREE: {
        Status.PENDING: Status.COMPLETED,
        Status.FAILED: Status.COMPLETED,
        Status.PROCESSING: "checkout_not_payable",
        Status.COMPLETED: "checkout_not_payable",
        Status.ABANDONED: "checkout_not_payable",
    },
    Event.AWAIT: {
        Status.PROCESSING: Status.PROCESSING,
        Status.PENDING: "checkout_conflict",
        Status.FAILED: "checkout_conflict",
        Status.COMPLETED: "checkout_conflict",
        Status.ABANDONED: "checkout_conflict",
    },
    Event.SUCCEED: {
        Status.PROCESSING: Status.COMPLETED,
        Status.PENDING: "checkout_conflict",
        Status.FAILED: "checkout_conflict",
        Status.COMPLETED: "checkout_conflict",
        Status.ABANDONED: "checkout_conflict",
    },
    Event.FAIL: {
        Status.PROCESSING: Status.FAILED,
        Status.PENDING: "checkout_conflict",
        Status.FAILED: "checkout_conflict",
        Status.COMPLETED: "checkout_conflict",
        Status.ABANDONED: "checkout_conflict",
    },
    Event.CANCEL: {
        Status.PENDING: Status.ABANDONED,
        Status.FAILED: Status.ABANDONED,
        Status.PROCESSING: "checkout_not_cancelable",
        Status.COMPLETED: "checkout_not_cancelable",
        Status.ABANDONED: "checkout_not_cancelable",
    },
    Event.DELETE: {
        Status.PENDING: None,
        Status.FAILED: "checkout_not_deletable",
        Status.PROCESSING: "checkout_not_deletable",
        Status.COMPLETED: "checkout_not_deletable",
        Status.ABANDONED: "checkout_not_deletable",
    },
    Event.RECOVER: {
        Status.ABANDONED: None,
        Status.PENDING: "checkout_not_recoverable",
        Status.FAILED: "checkout_not_recoverable",
        Status.PROCESSING: "checkout_not_recoverable",
        Status.COMPLETED: "checkout_not_recoverable",
    },
    # Only an expired open session is swept: none of these has expired.
    Event.EXPIRE: {status: "checkout_not_expired" for status in Status},
}


@pytest.mark.parametrize("event", list(EXPECTED))
@pytest.mark.parametrize("stored", list(Status))
def test_each_event_from_each_status(event: Event, stored: Status) -> None:
    expected = EXPECTED[event][stored]
    if isinstance(expected, str) and not isinstance(expected, Status):
        assert not allows(event, stored, LATER, NOW)
        with pytest.raises(Conflict) as refused:
            decide(event, stored, LATER, NOW)
        assert refused.value.code == expected
        assert stored.value in refused.value.message
        return
    assert allows(event, stored, LATER, NOW)
    move = decide(event, stored, LATER, NOW)
    assert move == move_of(event)
    assert move.target is expected and stored in move.source


def test_every_event_has_a_rule_and_a_case() -> None:
    assert set(RULES) == set(Event) - {Event.REFUND}
    assert set(EXPECTED) == set(RULES)


def test_each_rule_follows_the_status_machine() -> None:
    """Every from -> to of a rule is an edge of TRANSITIONS (or a self-loop that only
    records data); the free completion is the claim and the payment at once."""
    for event, rule in RULES.items():
        for source in rule.source:
            if rule.target is None or rule.target is source:
                continue
            if event is Event.COMPLETE_FREE:
                assert Status.PROCESSING in TRANSITIONS[source]
                assert rule.target in TRANSITIONS[Status.PROCESSING]
                continue
            assert rule.target in TRANSITIONS[source], (event, source, rule.target)


def test_refusals_name_the_effective_status() -> None:
    """An open session past its expiry reads (and is refused) as abandoned."""
    for event in (Event.CLAIM, Event.COMPLETE_FREE, Event.CANCEL, Event.DELETE):
        with pytest.raises(Conflict) as refused:
            decide(event, Status.PENDING, EARLIER, NOW)
        assert "abandoned" in refused.value.message
    assert decide(Event.RECOVER, Status.FAILED, EARLIER, NOW).target is None
    # Expiry is exactly at expires_at.
    with pytest.raises(Conflict):
        decide(Event.CANCEL, Status.PENDING, NOW, NOW)


def test_the_sweep_moves_only_expired_open_sessions() -> None:
    for stored in OPEN_STATUSES:
        move = decide(Event.EXPIRE, stored, EARLIER, NOW)
        assert move.target is Status.ABANDONED and move.expiry is Expiry.PAST
        assert decide(Event.EXPIRE, stored, NOW, NOW).target is Status.ABANDONED
    for stored in set(Status) - OPEN_STATUSES:
        assert not allows(Event.EXPIRE, stored, EARLIER, NOW)


def test_moves_say_what_the_store_checks() -> None:
    assert move_of(Event.CLAIM).expiry is Expiry.LIVE
    assert move_of(Event.CANCEL).expiry is Expiry.LIVE
    assert move_of(Event.DELETE).expiry is Expiry.LIVE
    assert move_of(Event.SUCCEED).expiry is Expiry.ANY
    assert move_of(Event.SUCCEED).payment_status is PaymentStatus.PAID
    assert move_of(Event.COMPLETE_FREE).payment_status is PaymentStatus.NO_PAYMENT_REQUIRED
    assert move_of(Event.FAIL).payment_status is None
    assert move_of(Event.CLAIM).source == OPEN_STATUSES


def test_refund_moves_follow_the_amount_refunded() -> None:
    assert payment_status_after(1000, 0) is PaymentStatus.PAID
    assert payment_status_after(1000, 1) is PaymentStatus.PARTIALLY_REFUNDED
    assert payment_status_after(1000, 999) is PaymentStatus.PARTIALLY_REFUNDED
    assert payment_status_after(1000, 1000) is PaymentStatus.REFUNDED
    move = refund_move(1000, 400)
    assert move.event is Event.REFUND and move.target is None
    assert move.source == {Status.COMPLETED}
    assert move.payment_status is PaymentStatus.PARTIALLY_REFUNDED
    assert move.payment_source == REFUNDABLE_PAYMENTS
    # A failed refund gives the amount back: the status can go back to paid.
    assert refund_move(1000, 0).payment_status is PaymentStatus.PAID


def test_only_completed_paid_sessions_are_refundable() -> None:
    for payment in REFUNDABLE_PAYMENTS:
        check_refundable(Status.COMPLETED, payment)
    with pytest.raises(Conflict, match="no payment was required") as refused:
        check_refundable(Status.COMPLETED, PaymentStatus.NO_PAYMENT_REQUIRED)
    assert refused.value.code == "checkout_not_refundable"
    for stored in set(Status) - {Status.COMPLETED}:
        with pytest.raises(Conflict, match=f"it is {stored.value}"):
            check_refundable(stored, PaymentStatus.UNPAID)


# -- nothing but store/lifecycle.py writes a session's status -------------------------

SRC = Path(__file__).resolve().parents[1] / "src" / "opencheckout"
WRITER = SRC / "store" / "lifecycle.py"
STATUS_COLUMNS = {"status", "payment_status"}
CHECKOUT_TYPES = {"Checkout", "CheckoutSession"}
RAW_SQL = re.compile(
    r"UPDATE\s+checkouts\b.*\bSET\b.*\b(payment_)?status\b|DELETE\s+FROM\s+checkouts\b",
    re.IGNORECASE | re.DOTALL,
)


def _names(node: ast.AST) -> set[str]:
    return {found.id for found in ast.walk(node) if isinstance(found, ast.Name)}


def _checkout_params(function: ast.AST) -> set[str]:
    """Parameters annotated as a checkout row: their ``.status`` is the session's."""
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return set()
    params = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
    return {
        param.arg
        for param in params
        if param.annotation is not None and _names(param.annotation) & CHECKOUT_TYPES
    }


def _attribute_writes(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for function in ast.walk(tree):
        rows = _checkout_params(function)
        for node in ast.walk(function):
            if not isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not isinstance(target, ast.Attribute) or target.attr not in STATUS_COLUMNS:
                    continue
                value = node.value if node.value is not None else target
                owner = target.value.id if isinstance(target.value, ast.Name) else None
                if (
                    target.attr == "payment_status"
                    or _names(value) & {"Status", "PaymentStatus"}
                    or owner in rows
                ):
                    found.append((node.lineno, f"assigns .{target.attr}"))
    return found


def _is_checkout_statement(node: ast.Call) -> bool:
    """``update(Checkout)`` / ``delete(Checkout)`` (or ``insert`` ... no: creation is fine)."""
    return (
        isinstance(node.func, ast.Name)
        and node.func.id in {"update", "delete"}
        and any(isinstance(arg, ast.Name) and arg.id == "Checkout" for arg in node.args)
    )


def _statement_writes(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        calls = [node for node in ast.walk(function) if isinstance(node, ast.Call)]
        statements = [call for call in calls if _is_checkout_statement(call)]
        if not statements:
            continue
        if any(isinstance(call.func, ast.Name) and call.func.id == "delete" for call in statements):
            found.append((function.lineno, "deletes a checkout"))
        params = {arg.arg for arg in [*function.args.args, *function.args.kwonlyargs]}
        for call in calls:
            given = [kw.value for kw in call.keywords if kw.arg is None]
            if any(isinstance(value, ast.Name) and value.id in params for value in given):
                found.append((call.lineno, "sets caller-given columns in an UPDATE of checkouts"))
        for node in ast.walk(function):
            keys: list[str] = []
            if isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            elif isinstance(node, ast.Call):
                keys = [keyword.arg for keyword in node.keywords if keyword.arg]
            if STATUS_COLUMNS & set(keys):
                found.append((node.lineno, "sets status in an UPDATE of checkouts"))
    return found


def _other_writes(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in STATUS_COLUMNS
        ):
            found.append((node.lineno, "setattr of a status"))
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and RAW_SQL.search(node.value)
        ):
            found.append((node.lineno, "raw SQL writing checkouts' status"))
    return found


def status_writes(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    return sorted(_attribute_writes(tree) + _statement_writes(tree) + _other_writes(tree))


def test_the_checker_sees_each_kind_of_status_write() -> None:
    bad = {
        "row.status = Status.ABANDONED.value": "assigns .status",
        "row.payment_status = 'refunded'": "assigns .payment_status",
        "def f(row: Checkout):\n    row.status = 'failed'": "assigns .status",
        "async def f(s):\n    await s.execute(update(Checkout).values(status='x'))": "UPDATE",
        "def f():\n    v = {'status': 1}\n    e(update(Checkout).values(**v))": "UPDATE",
        "async def f(s):\n    await s.execute(delete(Checkout))": "deletes",
        # The compare-and-set that took its columns from each caller, as it was.
        "async def f(s, values):\n    await s.execute(update(Checkout).values(**values))": (
            "caller-given"
        ),
        "setattr(row, 'status', 'x')": "setattr",
        "Q = 'UPDATE checkouts SET status = $1 WHERE pk = $2'": "raw SQL",
        "Q = 'DELETE FROM checkouts WHERE pk = ?'": "raw SQL",
    }
    for source, kind in bad.items():
        writes = status_writes(source)
        assert writes and kind in writes[0][1], source
    fine = [
        "attempt.status = 'voided'",  # a payment attempt's own status
        "def f(row: Order):\n    row.status = 'fulfilled'",
        "row = Checkout(status=Status.PENDING.value)",  # creating is not a transition
        "async def f(s):\n    await s.execute(update(Checkout).values(expires_at=1))",
    ]
    for source in fine:
        assert status_writes(source) == [], source


def test_only_the_store_lifecycle_writes_a_status() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == WRITER or "migrations" in path.parts:
            continue
        for line, what in status_writes(path.read_text()):
            offenders.append(f"{path.relative_to(SRC)}:{line}: {what}")
    assert offenders == []
    # ... and the writer does write them (the check would be vacuous otherwise).
    assert status_writes(WRITER.read_text()) != []
