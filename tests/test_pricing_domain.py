"""Pricing rules: worked examples that must match to the minor unit, then properties.

The examples pin the product requirements (rounding, allocation, inclusive tax
extraction); the Hypothesis properties check that whatever the cart, line
amounts and session amounts always reconcile and nothing goes negative.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencheckout.domain import pricing as pricing_module
from opencheckout.domain.currency import EXPONENTS
from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.pricing import (
    Coupon,
    PricedLine,
    PricingResult,
    TaxRate,
    allocate,
    price_session,
    round_half_up,
)
from opencheckout.domain.totals import MAX_AMOUNT
from tests.conftest import REPO_ROOT

VAT_21_INCL = TaxRate("txr_vat21", "VAT", Decimal("21"), inclusive=True)
TAX_10_EXCL = TaxRate("txr_tax10", "Sales tax", Decimal("10"), inclusive=False)


def percent_coupon(percent: str, products: frozenset[str] | None = None) -> Coupon:
    return Coupon(f"pct_{percent}", Decimal(percent), None, products)


def amount_coupon(amount: int, products: frozenset[str] | None = None) -> Coupon:
    return Coupon(f"amt_{amount}", None, amount, products)


# --------------------------------------------------------------------------- #
# Worked examples
# --------------------------------------------------------------------------- #


def test_round_half_up_rounds_halves_away_from_zero() -> None:
    assert round_half_up(Decimal("0.5")) == 1
    assert round_half_up(Decimal("2.5")) == 3  # round(2.5) would give 2
    assert round_half_up(Decimal("2.4999999")) == 2
    assert round_half_up(Decimal("8264.46")) == 8264
    assert round_half_up(Decimal("-2.5")) == -3


def test_stripe_600_eur_plus_10_percent_exclusive_tax() -> None:
    result = price_session([PricedLine("sku", 60000, 1, (TAX_10_EXCL,))], currency="eur")
    assert result.amount_subtotal == 60000
    assert result.amount_tax == result.amount_tax_exclusive == 6000
    assert result.amount_total == 66000


def test_inclusive_vat_on_121_eur_extracts_21() -> None:
    result = price_session([PricedLine("sku", 12100, 1, (VAT_21_INCL,))], currency="eur")
    (line,) = result.lines
    assert line.amount_tax == 2100
    assert line.taxes[0].taxable_amount == 10000  # the net base
    assert result.amount_tax_exclusive == 0
    assert result.amount_total == 12100  # inclusive tax is already in the price


def test_inclusive_vat_on_10_eur_extracts_1_74() -> None:
    # 10000 * 100 / 121 = 8264.46... -> 8264 net, so the tax is 1736 cents.
    result = price_session([PricedLine("sku", 10000, 1, (VAT_21_INCL,))], currency="eur")
    (tax,) = result.lines[0].taxes
    assert (tax.taxable_amount, tax.amount) == (8264, 1736)
    assert result.amount_total == 10000


def test_inclusive_4_percent_on_299_extracts_11() -> None:
    """The README's and the module docstring's worked example of the inclusive rule."""
    rate = TaxRate("txr_4", "IGIC", Decimal("4"), inclusive=True)
    result = price_session([PricedLine("sku", 299, 1, (rate,))], currency="eur")
    (tax,) = result.lines[0].taxes
    # gross - half_up(299 * 100 / 104) = 299 - half_up(287.5) = 299 - 288 = 11; a
    # per-rate half_up(299 * 4 / 104) = half_up(11.5) would have been 12.
    assert (tax.taxable_amount, tax.amount) == (288, 11)
    assert result.amount_tax == 11 and result.amount_total == 299
    # Two inclusive rates cost what their sum would, split by largest remainder.
    halves = (
        TaxRate("txr_2a", "A", Decimal("2"), inclusive=True),
        TaxRate("txr_2b", "B", Decimal("2"), inclusive=True),
    )
    split = price_session([PricedLine("sku", 299, 1, halves)], currency="eur")
    assert [t.amount for t in split.lines[0].taxes] == [6, 5]
    assert split.amount_tax == 11


def test_the_docs_state_the_rule_the_code_applies() -> None:
    """README's Pricing section and pricing.py say the same rule, example and cap."""
    readme = (REPO_ROOT / "README.md").read_text()
    pricing = readme.split("## Pricing", 1)[1].split("\n## ", 1)[0]
    docstring = pricing_module.__doc__ or ""
    rule = "gross - half_up(gross·100/(100+Σ inclusive rates))"
    for text in (pricing.replace("\N{MINUS SIGN}", "-"), " ".join(docstring.split())):
        assert rule in text
        assert "largest-remainder" in text
        assert "299" in text and "11" in text
        assert "per rate, half-up" not in text and "per rate, rounded half-up" not in text
    assert f"{MAX_AMOUNT:,}" == "99,999,999,999,999"
    assert f"**{MAX_AMOUNT:,}** minor units" in pricing


def test_three_for_ten_split_over_three_lines() -> None:
    lines = [PricedLine(f"sku{i}", amount, 1) for i, amount in enumerate((333, 333, 334))]
    result = price_session(lines, currency="eur", coupons=[percent_coupon("33.33")])
    # round_half_up(1000 * 33.33 / 100) = round_half_up(333.3) = 333. Exact shares
    # are 110.889, 110.889 and 111.222: floors 110/110/111 leave 2 units, which go
    # to the two largest remainders (0.889, 0.889), so 111/111/111.
    assert [line.amount_discount for line in result.lines] == [111, 111, 111]
    assert result.amount_discount == 333 == sum(line.amount_discount for line in result.lines)
    assert result.discounts[0].amount == 333
    assert result.amount_total == 667


def test_three_for_ten_as_one_line() -> None:
    result = price_session(
        [PricedLine("bundle", 1000, 1)], currency="eur", coupons=[percent_coupon("33.33")]
    )
    assert result.amount_discount == result.lines[0].amount_discount == 333
    assert result.amount_total == 667


def test_jpy_has_no_minor_unit_but_the_same_rules() -> None:
    reduced = TaxRate("txr_jp8", "Consumption tax (reduced)", Decimal("8"), inclusive=False)
    result = price_session(
        [PricedLine("onigiri", 980, 3, (reduced,))],
        currency="jpy",
        coupons=[percent_coupon("10")],
        amount_shipping=500,
    )
    # 2940 - 294 = 2646; 8 % of 2646 = 211.68 -> 212 yen.
    assert (result.amount_subtotal, result.amount_discount) == (2940, 294)
    assert result.amount_tax == 212
    assert result.amount_total == 2646 + 212 + 500


def test_kwd_three_decimals_rounds_half_up() -> None:
    vat = TaxRate("txr_kw5", "VAT", Decimal("5"), inclusive=False)
    result = price_session(
        [PricedLine("a", 12345, 1, (vat,)), PricedLine("b", 12330, 1, (vat,))],
        currency="kwd",
    )
    # 617.25 fils -> 617, and exactly 616.5 fils -> 617 (banker's rounding gives 616).
    assert [line.amount_tax for line in result.lines] == [617, 617]
    assert result.tax_breakdown[0].amount == 1234
    assert result.tax_breakdown[0].taxable_amount == 24675
    assert result.amount_total == 24675 + 1234


def test_amount_off_larger_than_cart_stops_at_zero() -> None:
    result = price_session(
        [PricedLine("a", 1000, 2), PricedLine("b", 500, 1, (TAX_10_EXCL,))],
        currency="usd",
        coupons=[amount_coupon(5000)],
        amount_shipping=499,
    )
    assert result.amount_discount == result.discounts[0].amount == 2500
    assert [line.amount_total for line in result.lines] == [0, 0]
    assert result.amount_tax == 0
    assert result.amount_total == 499  # only shipping is left


def test_coupons_apply_in_order_on_what_remains() -> None:
    result = price_session(
        [PricedLine("a", 10000, 1)],
        currency="eur",
        coupons=[amount_coupon(2000), percent_coupon("50")],
    )
    assert [d.amount for d in result.discounts] == [2000, 4000]
    assert result.amount_total == 4000


def test_coupon_restricted_to_products_touches_only_those_lines() -> None:
    result = price_session(
        [PricedLine("shirt", 3000, 1), PricedLine("socks", 1000, 1)],
        currency="eur",
        coupons=[percent_coupon("25", frozenset({"socks"}))],
    )
    assert [line.amount_discount for line in result.lines] == [0, 250]


def test_several_inclusive_rates_split_by_percentage_and_exclusive_on_net() -> None:
    state = TaxRate("txr_s", "State", Decimal("10"), inclusive=True)
    city = TaxRate("txr_c", "City", Decimal("5"), inclusive=True)
    levy = TaxRate("txr_l", "Levy", Decimal("2"), inclusive=False)
    result = price_session([PricedLine("a", 10000, 1, (state, levy, city))], currency="eur")
    # Net = round(10000 * 100 / 115) = round(8695.65) = 8696; inclusive tax 1304,
    # split 10:5 -> shares 869.33 / 434.67 -> 869 / 435. Levy 2 % of 8696 = 173.92 -> 174.
    taxes = {tax.tax_rate.id: tax for tax in result.lines[0].taxes}
    assert taxes["txr_s"].amount == 869
    assert taxes["txr_c"].amount == 435
    assert taxes["txr_l"].amount == 174
    assert {tax.taxable_amount for tax in taxes.values()} == {8696}
    assert [tax.tax_rate.id for tax in result.lines[0].taxes] == ["txr_s", "txr_l", "txr_c"]
    assert result.amount_tax == 1304 + 174
    assert result.amount_tax_exclusive == 174
    assert result.amount_total == 10000 + 174


def test_tax_applies_after_discount_and_defaults_fill_lines_without_rates() -> None:
    own = TaxRate("txr_own", "Books", Decimal("4"), inclusive=False)
    result = price_session(
        [PricedLine("book", 2000, 1, (own,)), PricedLine("pen", 2000, 1)],
        currency="eur",
        coupons=[percent_coupon("10")],
        default_tax_rates=[TAX_10_EXCL],
    )
    assert [line.taxes[0].tax_rate.id for line in result.lines] == ["txr_own", "txr_tax10"]
    assert [line.amount_tax for line in result.lines] == [72, 180]  # on 1800 each


def test_shipping_is_not_taxed() -> None:
    result = price_session(
        [PricedLine("a", 1000, 1)],
        currency="eur",
        default_tax_rates=[TAX_10_EXCL],
        amount_shipping=500,
    )
    assert result.amount_tax == 100
    assert result.amount_total == 1600


@pytest.mark.parametrize(
    "build",
    [
        lambda: price_session([PricedLine("a", 1, 1)], currency="xyz"),
        lambda: price_session([PricedLine("a", 1, 1)], currency="eur", amount_shipping=-1),
        lambda: PricedLine("a", -1, 1),
        lambda: PricedLine("a", 1, 0),
        lambda: PricedLine("a", 1.5, 1),  # type: ignore[arg-type]
        lambda: TaxRate("t", "T", Decimal("100.01"), inclusive=False),
        lambda: TaxRate("t", "T", Decimal("-1"), inclusive=False),
        lambda: TaxRate("t", "T", Decimal("8.87501"), inclusive=False),
        lambda: TaxRate("t", "T", 21.0, inclusive=False),  # type: ignore[arg-type]
        lambda: Coupon("c", Decimal("0"), None, None),
        lambda: Coupon("c", Decimal("10.005"), None, None),
        lambda: Coupon("c", Decimal("10"), 100, None),
        lambda: Coupon("c", None, None, None),
        lambda: Coupon("c", None, -5, None),
        lambda: allocate(1, [0, 0]),
        lambda: allocate(-1, [1]),
        lambda: round_half_up(Decimal("NaN")),
    ],
)
def test_invalid_values_are_refused(build) -> None:
    with pytest.raises(InvalidValue):
        build()


def test_conflicting_tax_rate_definitions_are_refused() -> None:
    other = TaxRate(VAT_21_INCL.id, "VAT", Decimal("19"), inclusive=True)
    with pytest.raises(InvalidValue):
        price_session(
            [PricedLine("a", 100, 1, (VAT_21_INCL,)), PricedLine("b", 100, 1, (other,))],
            currency="eur",
        )


def test_allocate_breaks_ties_by_position() -> None:
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(10, [0, 3, 0, 7]) == [0, 3, 0, 7]
    assert allocate(0, []) == []


# --------------------------------------------------------------------------- #
# Properties
# --------------------------------------------------------------------------- #

PRODUCTS = ("sku_a", "sku_b", "sku_c", "sku_d")
CURRENCIES = sorted(EXPONENTS)

tax_percentages = st.integers(0, 30 * 10**4).map(lambda n: Decimal(n).scaleb(-4))
coupon_percentages = st.integers(1, 100 * 10**2).map(lambda n: Decimal(n).scaleb(-2))
product_sets = st.none() | st.frozensets(st.sampled_from(PRODUCTS), max_size=len(PRODUCTS))


@st.composite
def tax_rate_pools(draw: st.DrawFn) -> list[TaxRate]:
    specs = draw(st.lists(st.tuples(tax_percentages, st.booleans()), max_size=5))
    return [
        TaxRate(f"txr_{i}", f"Rate {i}", percentage, inclusive)
        for i, (percentage, inclusive) in enumerate(specs)
    ]


def rate_subsets(pool: list[TaxRate]) -> st.SearchStrategy[tuple[TaxRate, ...]]:
    if not pool:
        return st.just(())
    return st.lists(st.sampled_from(pool), unique=True, max_size=3).map(tuple)


@st.composite
def coupon_lists(draw: st.DrawFn) -> list[Coupon]:
    kinds = draw(
        st.lists(
            st.one_of(
                st.tuples(coupon_percentages, st.none()),
                st.tuples(st.none(), st.integers(1, 10**9)),
            ),
            max_size=3,
        )
    )
    return [
        Coupon(f"coupon_{i}", percent, amount, draw(product_sets))
        for i, (percent, amount) in enumerate(kinds)
    ]


@st.composite
def sessions(draw: st.DrawFn) -> PricingResult:
    pool = draw(tax_rate_pools())
    lines = draw(
        st.lists(
            st.builds(
                PricedLine,
                product=st.sampled_from(PRODUCTS),
                unit_amount=st.integers(0, 10**7),
                quantity=st.integers(1, 1000),
                tax_rates=rate_subsets(pool),
            ),
            min_size=1,
            max_size=20,
        )
    )
    return price_session(
        lines,
        currency=draw(st.sampled_from(CURRENCIES)),
        coupons=draw(coupon_lists()),
        default_tax_rates=draw(rate_subsets(pool)),
        amount_shipping=draw(st.integers(0, 10**6)),
    )


PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(sessions())
def test_line_amounts_sum_to_session_amounts(result: PricingResult) -> None:
    lines = result.lines
    assert result.amount_subtotal == sum(line.amount_subtotal for line in lines)
    assert result.amount_discount == sum(line.amount_discount for line in lines)
    assert result.amount_tax == sum(line.amount_tax for line in lines)
    assert result.amount_total - result.amount_shipping == sum(line.amount_total for line in lines)


@PROPERTY_SETTINGS
@given(sessions())
def test_total_formula_holds(result: PricingResult) -> None:
    assert result.amount_total == (
        result.amount_subtotal
        - result.amount_discount
        + result.amount_tax_exclusive
        + result.amount_shipping
    )
    for line in result.lines:
        exclusive = sum(tax.amount for tax in line.taxes if not tax.tax_rate.inclusive)
        assert line.amount_tax == sum(tax.amount for tax in line.taxes)
        assert line.amount_total == line.amount_subtotal - line.amount_discount + exclusive


@PROPERTY_SETTINGS
@given(sessions())
def test_breakdowns_sum_to_amounts(result: PricingResult) -> None:
    assert sum(entry.amount for entry in result.tax_breakdown) == result.amount_tax
    exclusive = sum(entry.amount for entry in result.tax_breakdown if not entry.inclusive)
    assert exclusive == result.amount_tax_exclusive
    assert sum(entry.amount for entry in result.discounts) == result.amount_discount


@PROPERTY_SETTINGS
@given(sessions())
def test_no_amount_is_negative_and_discounts_fit_their_lines(result: PricingResult) -> None:
    session_amounts = (
        result.amount_subtotal,
        result.amount_discount,
        result.amount_tax,
        result.amount_tax_exclusive,
        result.amount_shipping,
        result.amount_total,
    )
    assert min(session_amounts) >= 0
    for line in result.lines:
        assert min(line.amount_discount, line.amount_tax, line.amount_total) >= 0
        assert line.amount_discount <= line.amount_subtotal
        for tax in line.taxes:
            assert tax.amount >= 0
            assert tax.taxable_amount >= 0
    for entry in result.tax_breakdown:
        assert min(entry.amount, entry.taxable_amount) >= 0
    assert all(entry.amount >= 0 for entry in result.discounts)


@PROPERTY_SETTINGS
@given(sessions())
def test_session_totals_breakdown_agrees(result: PricingResult) -> None:
    totals = result.to_session_totals()
    amounts = {entry["type"]: entry["amount"] for entry in totals.breakdown()}
    assert amounts["items_base_amount"] == result.amount_subtotal
    assert amounts["discount"] == result.amount_discount
    assert amounts["fulfillment"] == result.amount_shipping
    assert amounts["tax"] == result.amount_tax
    assert amounts["total"] == result.amount_total
    assert len(totals.lines) == len(result.lines)


weight_lists = st.lists(st.integers(0, 10**6), min_size=1, max_size=20)


@PROPERTY_SETTINGS
@given(st.integers(0, 10**9), weight_lists)
def test_allocate_is_exact_and_proportional(total: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        assert allocate(0, weights) == [0] * len(weights)
        return
    parts = allocate(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        share = Fraction(total * weight, sum(weights))
        assert abs(part - share) < 1
        if weight == 0:
            assert part == 0


@PROPERTY_SETTINGS
@given(weight_lists, st.data())
def test_allocate_never_exceeds_a_weight_when_total_fits(
    weights: list[int], data: st.DataObject
) -> None:
    # This is what keeps a line discount from exceeding the line's amount.
    total = data.draw(st.integers(0, sum(weights)))
    parts = allocate(total, weights)
    assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))
