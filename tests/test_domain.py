"""Pure rules, tested without I/O."""

from __future__ import annotations

import collections
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from opencheckout.api.errors import param_path
from opencheckout.domain.currency import exponent, normalize_currency, to_major, to_minor
from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.lifecycle import TRANSITIONS, Status, can_transition, effective_status
from opencheckout.domain.readiness import missing_fields
from opencheckout.domain.totals import LineInput, compute_totals
from opencheckout.ids import new_id, random_base62
from opencheckout.processors.test import luhn_valid, normalize_card_number


def test_currency_exponents_and_conversions():
    assert exponent("eur") == 2 and exponent("JPY") == 0 and exponent("kwd") == 3
    assert normalize_currency(" Eur ") == "eur"
    with pytest.raises(InvalidValue):
        normalize_currency("XAU")  # a metal, no minor unit
    assert to_major(1999, "eur") == Decimal("19.99")
    assert to_major(1999, "jpy") == Decimal(1999)
    assert to_minor(Decimal("1.234"), "kwd") == 1234
    assert to_minor(Decimal("999.0"), "eur") == 99900
    with pytest.raises(InvalidValue):
        to_minor(Decimal("1.5"), "jpy")


def test_lifecycle_transitions():
    assert can_transition(Status.PENDING, Status.PROCESSING)
    assert can_transition(Status.FAILED, Status.PROCESSING)
    assert can_transition(Status.PROCESSING, Status.COMPLETED)
    assert not can_transition(Status.PENDING, Status.COMPLETED)
    assert TRANSITIONS[Status.COMPLETED] == TRANSITIONS[Status.ABANDONED] == frozenset()
    now = datetime.now(UTC)
    past, future = now - timedelta(seconds=1), now + timedelta(seconds=1)
    assert effective_status(Status.PENDING, past, now) is Status.ABANDONED
    assert effective_status(Status.FAILED, past, now) is Status.ABANDONED
    assert effective_status(Status.PENDING, future, now) is Status.PENDING
    assert effective_status(Status.COMPLETED, past, now) is Status.COMPLETED
    assert effective_status(Status.PROCESSING, past, now) is Status.PROCESSING


def test_totals_sum_lines():
    totals = compute_totals([LineInput(2500, 2), LineInput(799, 1)], amount_shipping=500)
    assert [line.amount_total for line in totals.lines] == [5000, 799]
    assert totals.amount_total == 6299
    entries = {entry["type"]: entry["amount"] for entry in totals.breakdown()}
    assert entries["items_base_amount"] == 5799 and entries["fulfillment"] == 500
    assert entries["total"] == 6299


def test_readiness():
    assert missing_fields({"email": "a@b.c"}, "auto") == []
    assert missing_fields({}, "auto") == ["customer.email"]
    full = {"line1": "x", "city": "y", "postal_code": "z", "country": "ES"}
    assert missing_fields({"email": "a@b.c", "billing_address": full}, "required") == []
    assert missing_fields(
        {"email": "a@b.c", "billing_address": {**full, "city": None}}, "required"
    ) == ["customer.billing_address.city"]


def test_luhn():
    assert luhn_valid(normalize_card_number("4242 4242 4242 4242"))
    assert luhn_valid("4000000000000002")
    assert not luhn_valid("4242424242424241")
    assert not luhn_valid("abcd")


def test_param_paths():
    assert param_path(("body", "line_items", 0, "quantity")) == "line_items[0].quantity"
    assert param_path(("query", "status", 1)) == "status"
    assert param_path(("body",)) is None


def test_random_base62_is_uniform_over_the_alphabet():
    samples = [random_base62(32) for _ in range(20_000)]
    assert {len(s) for s in samples} == {32}
    counts = collections.Counter("".join(samples))
    assert set(counts) == set(string.ascii_letters + string.digits)
    expected = 32 * 20_000 / 62
    # About 6 standard deviations either side; a biased mapping (b % 62 over all
    # 256 byte values) would put its first 8 characters about 20 % (2,000) high.
    assert all(abs(n - expected) < 600 for n in counts.values()), counts.most_common(3)
    assert new_id("cs").startswith("cs_") and len(new_id("cs")) == 27
