"""Hosted page building blocks: locales, money, catalogs, forms, CSRF, redirects,
and the test processor's delayed cards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from opencheckout.pages import forms, i18n, security
from opencheckout.processors.base import Outcome, PaymentRequest
from opencheckout.processors.stripe import CHECKOUT_METADATA_KEY, stripe_metadata
from opencheckout.processors.test import TestProcessor as SimulatedProcessor
from opencheckout.processors.test import parse_later

# --- locale negotiation -------------------------------------------------------


@pytest.mark.parametrize(
    ("session_locale", "header", "expected"),
    [
        ("es", "de-DE,de;q=0.9", "es"),  # the merchant's choice wins
        ("auto", "de-DE,de;q=0.9,en;q=0.5", "de"),
        ("auto", "fr-CA", "fr"),
        ("auto", "ja-JP,ja;q=0.9", "en"),  # unsupported -> English
        ("auto", "ja;q=1, sv;q=0.8", "sv"),  # first supported by weight
        ("auto", "en;q=0.2, nl;q=0.9", "nl"),  # weights, not order
        ("auto", "nb-NO", "nb"),
        ("auto", "nn-NO", "no"),
        ("auto", "ca-ES-valencia", "ca"),
        ("auto", "it;q=0, hu", "hu"),  # q=0 means "not this one"
        ("auto", None, "en"),
        ("auto", "", "en"),
        ("auto", "garbage;;;q=x, fi", "fi"),
        (None, "es", "es"),
        ("no", None, "no"),
    ],
)
def test_locale_negotiation(session_locale, header, expected):
    assert i18n.negotiate(session_locale, header) == expected


def test_parse_accept_language_orders_by_quality():
    assert i18n.parse_accept_language("da, en-gb;q=0.8, en;q=0.7") == ["da", "en-gb", "en"]
    assert i18n.parse_accept_language("a;q=0.5,b;q=0.5") == ["a", "b"]  # stable on ties


# --- money --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (5799, "eur", "en", "€57.99"),
        (5799, "eur", "es", "57,99\xa0€"),
        (5799, "eur", "de", "57,99\xa0€"),
        (1500, "jpy", "en", "¥1,500"),
        (1500, "jpy", "es", "1.500\xa0JPY"),
        (150000, "jpy", "fr", "150\u202f000\xa0JPY"),
        (12345, "kwd", "en", "KWD\xa012.345"),
        (199, "usd", "no", "1,99\xa0USD"),
        (0, "eur", "fi", "0,00\xa0€"),
        (-500, "eur", "en", "-€5.00"),
    ],
)
def test_money_is_formatted_per_locale_from_minor_units(amount, currency, locale, expected):
    formatted = i18n.format_money(amount, currency, locale)
    # CLDR versions differ in which (non-breaking) spaces they use; compare without them.
    normalize = str.maketrans("", "", " \xa0\u202f")
    assert formatted.translate(normalize) == expected.translate(normalize)


def test_money_never_rounds_away_minor_units():
    # 1 minor unit of a 3-decimal currency stays visible.
    assert "0.001" in i18n.format_money(1, "kwd", "en")
    assert i18n.format_money(999_999_999_999, "eur", "en") == "€9,999,999,999.99"


# --- catalogs -----------------------------------------------------------------

LOCALES = i18n.LOCALES_DIR


def test_every_supported_locale_has_a_complete_compiled_catalog():
    with (LOCALES / "messages.pot").open("rb") as handle:
        template_ids = {m.id for m in read_po(handle) if m.id}
    assert len(template_ids) > 50
    for code in i18n.SUPPORTED_LOCALES:
        if code == "en":
            continue  # the source language
        po_path = LOCALES / code / "LC_MESSAGES" / "messages.po"
        mo_path = po_path.with_suffix(".mo")
        with po_path.open("rb") as handle:
            po = read_po(handle)
        with mo_path.open("rb") as handle:
            mo = read_mo(handle)
        po_strings = {m.id: m.string for m in po if m.id and m.string}
        assert set(po_strings) == template_ids, code
        # The .mo is compiled from the current .po (run `make locales` after editing).
        assert {m.id: m.string for m in mo if m.id} == po_strings, code


def test_the_template_holds_every_string_the_page_marks():
    """A string marked in the sources but missing from messages.pot (``make locales``
    not run) would show in English in every locale; the catalogs test cannot see it."""
    pages = LOCALES.parent
    with (pages / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    marked = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(pages), method_map, options_map
        )
    }
    with (LOCALES / "messages.pot").open("rb") as handle:
        template_ids = {m.id for m in read_po(handle) if m.id}
    assert marked == template_ids


def test_spanish_translates_and_missing_strings_fall_back_to_english():
    spanish = i18n.translations("es")
    assert spanish.gettext("Order summary") == "Resumen del pedido"
    assert spanish.gettext("Pay %(amount)s") % {"amount": "5 €"} == "Pagar 5 €"
    assert spanish.gettext("A sentence nobody translated yet.") == (
        "A sentence nobody translated yet."
    )
    assert i18n.translations("en").gettext("Order summary") == "Order summary"
    assert i18n.translations("no").gettext("Order summary") == "Ordresammendrag"


def test_country_names_are_localized_and_sorted():
    names = dict(i18n.country_names("es"))
    assert names["DE"] == "Alemania"
    ordered = [name for _code, name in i18n.country_names("en")]
    assert ordered == sorted(ordered, key=str.casefold)


# --- forms --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12/34", (12, 2034)),
        ("01 / 2030", (1, 2030)),
        ("0729", (7, 2029)),
        ("13/30", (None, None)),
        ("1/3", (None, None)),
        ("ab/cd", (None, None)),
        ("", (None, None)),
    ],
)
def test_expiry_parsing(raw, expected):
    assert forms._expiry(raw) == expected


def test_card_details_are_checked():
    now = datetime(2030, 6, 1, tzinfo=UTC)
    good = forms.read_submission({})
    details = forms.card_details(
        {"card_number": "4242 4242 4242 4242", "card_exp": "06/30", "card_cvc": "123"}, good, now
    )
    assert not good.errors
    assert details == {
        "card_number": "4242424242424242",
        "exp_month": 6,
        "exp_year": 2030,
        "cvc": "123",
    }
    bad = forms.read_submission({})
    forms.card_details({"card_number": "4242", "card_exp": "05/30", "card_cvc": "1"}, bad, now)
    assert set(bad.errors) == {"card_number", "card_exp", "card_cvc"}


def test_submission_actions():
    assert forms.read_submission({"action": "pay"}).action == "pay"
    assert forms.read_submission({"action": "apply_code", "code": "X"}).action == "apply_code"
    # Enter in a field submits with the first button (Apply); with no code it means pay.
    assert forms.read_submission({"action": "apply_code", "code": " "}).action == "pay"
    assert forms.read_submission({"remove_discount": "coupon_1"}).action == "remove_discount"
    assert forms.read_submission({"action": "delete_everything"}).action == "pay"


def test_details_are_validated():
    submission = forms.read_submission(
        {"email": "not-an-email", "first_name": "x" * 201, "country": "zz"}
    )
    forms.check_details(submission, billing_required=True)
    assert submission.errors == {
        "email": forms.EMAIL_INVALID,
        "first_name": forms.TOO_LONG,
        "last_name": forms.REQUIRED,
        "line1": forms.REQUIRED,
        "city": forms.REQUIRED,
        "postal_code": forms.REQUIRED,
        "country": forms.COUNTRY_INVALID,
    }


# --- CSRF, redirects, CSP -------------------------------------------------------


def test_csrf_tokens_bind_key_session_and_nonce():
    key, other = b"k" * 32, b"o" * 32
    token = security.csrf_token(key, "tok", "nonce")
    assert security.csrf_valid(key, "tok", "nonce", token)
    assert not security.csrf_valid(other, "tok", "nonce", token)
    assert not security.csrf_valid(key, "other-session", "nonce", token)
    assert not security.csrf_valid(key, "tok", "other-nonce", token)
    assert not security.csrf_valid(key, "tok", None, token)
    assert not security.csrf_valid(key, "tok", "nonce", None)


def test_secret_key_file_is_created_once_and_private(tmp_path: Path):
    path = tmp_path / "sub" / "secret_key"
    first = security.load_or_create_secret(path)
    assert security.load_or_create_secret(path) == first
    assert len(first) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert security.default_secret_path(f"sqlite+aiosqlite:///{tmp_path}/x.db") == (
        tmp_path / "x.db.secret"
    )


def test_redirect_targets_are_only_absolute_http_urls():
    assert security.success_target("https://shop.test/ok?cs={CHECKOUT_ID}", "cs_1") == (
        "https://shop.test/ok?cs=cs_1"
    )
    assert security.success_target("https://shop.test/ok?cs=%7BCHECKOUT_ID%7D", "cs_1") == (
        "https://shop.test/ok?cs=cs_1"
    )
    for bad in ("javascript:alert(1)", "//evil.test", "/relative", "https:\\\\evil", None, ""):
        assert security.safe_redirect_target(bad) is None


def test_csp_allows_forms_to_land_on_the_merchant_only():
    csp = security.content_security_policy(
        ["https://shop.test/ok?x=1", "https://other.test:8443/cart", None, "javascript:x"]
    )
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "form-action 'self' https://other.test:8443 https://shop.test;" in csp
    assert "frame-ancestors 'none'" in csp


# --- processors -----------------------------------------------------------------


def _request(card: str, method: str = "card", custom: dict | None = None) -> PaymentRequest:
    return PaymentRequest(
        checkout_id="cs_1",
        amount=1000,
        currency="eur",
        method=method,
        details={"card_number": card},
        custom=custom or {},
    )


def test_test_processor_delayed_cards_settle_later():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    clock = [now]
    processor = SimulatedProcessor(settle_seconds=5, clock=lambda: clock[0])

    async def scenario() -> None:
        ok = await processor.authorize(_request("4000 0000 0000 3220"))
        no = await processor.authorize(_request("4000008400001629"))
        assert ok.outcome is no.outcome is Outcome.PROCESSING
        later = parse_later(ok.processor_id)
        assert later is not None and later.outcome is Outcome.SUCCEEDED
        assert later.due_at == now + timedelta(seconds=5)
        assert (await processor.retrieve(ok.processor_id)).outcome is Outcome.PROCESSING
        clock[0] = now + timedelta(seconds=5)
        assert (await processor.retrieve(ok.processor_id)).outcome is Outcome.SUCCEEDED
        declined = await processor.retrieve(no.processor_id)
        assert declined.outcome is Outcome.DECLINED and declined.decline_code == "card_declined"
        assert (await processor.authorize(_request("4242424242424242"))).outcome is (
            Outcome.SUCCEEDED
        )
        assert (await processor.refund(ok.processor_id)).succeeded

    asyncio.run(scenario())
    assert parse_later("pay_test_abc") is None
    assert parse_later("pay_test_later_xx_1_abc") is None


def test_stripe_metadata_passes_custom_through_as_strings():
    request = _request(
        "4242", custom={"stripe": {"metadata": {"order": 42, "sku": "a", "nested": {"k": 1}}}}
    )
    assert stripe_metadata(request) == {
        "order": "42",
        "sku": "a",
        "nested": '{"k":1}',
        CHECKOUT_METADATA_KEY: "cs_1",
    }
    assert stripe_metadata(_request("4242", custom={"stripe": "nope"})) == {
        CHECKOUT_METADATA_KEY: "cs_1"
    }
