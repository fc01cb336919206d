"""Reusable field types. Validators raise ``PydanticCustomError`` with a public
``code`` in the context, which the error handler turns into ``error.code``."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError

from opencheckout.domain.countries import COUNTRIES
from opencheckout.domain.currency import EXPONENTS
from opencheckout.domain.urls import HostInvalid, idna_url

MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
MAX_CUSTOM_BYTES = 8 * 1024
MAX_URL_LENGTH = 2048


def invalid(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message, {"code": code})


class Model(BaseModel):
    """Each field's docstring is its ``description`` in the OpenAPI document."""

    model_config = ConfigDict(use_attribute_docstrings=True)


class StrictModel(Model):
    """Unknown parameters are refused, as a typo should never be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def contains_nul(value: Any) -> bool:
    """Whether U+0000 appears in any string (or key) inside ``value``."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


def no_nul(value: str) -> str:
    """PostgreSQL text and JSONB cannot hold U+0000; refuse it rather than fail on write."""
    if "\x00" in value:
        raise invalid("parameter_invalid", "Text may not contain NUL (U+0000) characters.")
    return value


def _currency(value: str) -> str:
    code = value.upper()
    if code not in EXPONENTS:
        raise invalid("currency_invalid", f"'{value}' is not a supported ISO 4217 currency code.")
    return code.lower()


def _country(value: str) -> str:
    code = value.upper()
    if code not in COUNTRIES:
        raise invalid("country_invalid", f"'{value}' is not an ISO 3166-1 alpha-2 country code.")
    return code


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise invalid("email_invalid", f"'{value}' is not a valid email address: {exc}") from exc


#: ``\s`` is ``str.isspace``; with C0 controls, what no URL may contain.
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or _SPACE_OR_CONTROL.search(value)
    ):
        raise invalid("url_invalid", f"'{value}' is not an absolute http or https URL.")
    try:
        return idna_url(value)
    except HostInvalid as exc:
        raise invalid("url_invalid", f"'{value}' is not a valid URL: {exc}") from exc


def _metadata(value: dict[str, Any]) -> dict[str, Any]:
    if contains_nul(value):
        raise invalid("metadata_invalid", "metadata may not contain NUL (U+0000) characters.")
    if len(value) > MAX_METADATA_KEYS:
        raise invalid("metadata_invalid", f"metadata has at most {MAX_METADATA_KEYS} keys.")
    for key, item in value.items():
        if not key or len(key) > MAX_METADATA_KEY_LENGTH:
            raise invalid(
                "metadata_invalid",
                f"metadata keys are 1 to {MAX_METADATA_KEY_LENGTH} characters ('{key[:60]}').",
            )
        if item is not None and len(item) > MAX_METADATA_VALUE_LENGTH:
            raise invalid(
                "metadata_invalid",
                f"metadata values are at most {MAX_METADATA_VALUE_LENGTH} characters "
                f"(key '{key}').",
            )
    return value


def _custom(value: dict[str, Any]) -> dict[str, Any]:
    if contains_nul(value):
        raise invalid("custom_invalid", "custom may not contain NUL (U+0000) characters.")
    if len(orjson.dumps(value)) > MAX_CUSTOM_BYTES:
        raise invalid("custom_too_large", f"custom is limited to {MAX_CUSTOM_BYTES} bytes of JSON.")
    return value


Currency = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3, strip_whitespace=True),
    AfterValidator(_currency),
    Field(description="ISO 4217 code; accepted in any case, returned lowercase.", examples=["eur"]),
]
Country = Annotated[
    str,
    StringConstraints(min_length=2, max_length=2, strip_whitespace=True),
    AfterValidator(_country),
    Field(description="ISO 3166-1 alpha-2 country code.", examples=["ES"]),
]
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
HttpUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_URL_LENGTH),
    AfterValidator(_http_url),
    Field(description="Absolute http(s) URL. `{CHECKOUT_ID}` is replaced with the session id."),
]
Metadata = Annotated[
    dict[str, Annotated[str, StringConstraints(strip_whitespace=False)]],
    AfterValidator(_metadata),
    Field(description="Up to 50 keys (<= 40 characters) with string values (<= 500 characters)."),
]
MetadataUpdate = Annotated[
    dict[str, Annotated[str, StringConstraints(strip_whitespace=False)] | None],
    AfterValidator(_metadata),
    Field(description="Keys to set; an empty string or null removes a key."),
]
Custom = Annotated[
    dict[str, Any],
    AfterValidator(_custom),
    Field(description="Free-form object handed to the payment processor (<= 8 KB)."),
]
ShortText = Annotated[str, StringConstraints(max_length=500), AfterValidator(no_nul)]
Amount = Annotated[StrictInt, Field(ge=0, le=999_999_999_999)]
