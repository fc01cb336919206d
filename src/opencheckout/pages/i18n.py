"""Locales of the hosted page: negotiation, gettext catalogs and money formatting.

Catalogs live in ``locales/<lang>/LC_MESSAGES/messages.po`` and are compiled
to ``.mo`` with ``pybabel compile`` (``make locales``); English is the source
language, so a string missing from a catalog shows in English.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision
from babel.support import NullTranslations, Translations

from opencheckout.domain.countries import COUNTRIES
from opencheckout.domain.currency import exponent, to_major

#: The session locales a merchant may choose (besides ``auto``).
SUPPORTED_LOCALES = ("ca", "de", "en", "es", "fi", "fr", "hu", "it", "nb", "nl", "no", "sv")
DEFAULT_LOCALE = "en"
LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"

#: Browser tags that mean a supported locale under another name.
_ALIASES = {"nn": "no", "ca-es-valencia": "ca"}


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from ``Accept-Language``, best first (q=0 dropped)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or len(tag) > 35:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _q, _i, tag in sorted(weighted)]


def _match(tag: str) -> str | None:
    tag = tag.replace("_", "-").lower()
    if tag in _ALIASES:
        return _ALIASES[tag]
    if tag in SUPPORTED_LOCALES:
        return tag
    primary = tag.split("-")[0]
    if primary in _ALIASES:
        return _ALIASES[primary]
    return primary if primary in SUPPORTED_LOCALES else None


def negotiate(session_locale: str | None, accept_language: str | None) -> str:
    """The page's locale: the session's, or with ``auto`` the buyer's best supported one."""
    if session_locale and session_locale != "auto":
        return _match(session_locale) or DEFAULT_LOCALE
    for tag in parse_accept_language(accept_language):
        if tag == "*":
            break
        matched = _match(tag)
        if matched is not None:
            return matched
    return DEFAULT_LOCALE


def babel_locale(code: str) -> Locale:
    """CLDR data for a page locale (``no`` formats as Norwegian Bokmål)."""
    try:
        return Locale.parse("nb" if code == "no" else code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LOCALE)


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalog for ``code``; English (identity) when there is none."""
    if code == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [code], DOMAIN)


def format_money(amount: int, currency: str, code: str) -> str:
    """Integer minor units shown for the locale: 5799 EUR -> "57,99 €" in es.

    The amount never passes through a float. When CLDR shows a currency with
    fewer digits than its ISO minor unit, the exact digits are kept.
    """
    major: Decimal = to_major(amount, currency)
    locale = babel_locale(code)
    symbol = currency.upper()
    if get_currency_precision(symbol) == exponent(currency):
        return format_currency(major, symbol, locale=locale)
    return format_currency(
        major, symbol, locale=locale, currency_digits=False, decimal_quantization=False
    )


@cache
def country_names(code: str) -> tuple[tuple[str, str], ...]:
    """(ISO code, name in the page's language) for every country, sorted by name."""
    territories = babel_locale(code).territories
    names = [(country, territories.get(country, country)) for country in sorted(COUNTRIES)]
    return tuple(sorted(names, key=lambda pair: pair[1].casefold()))
