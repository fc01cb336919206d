"""What any input may contain, judged by its text before any arithmetic or I/O.

One rule for every dialect and form (native JSON, Quaderno, ACP, query strings,
the hosted page's form):

* No text holds U+0000: PostgreSQL text and JSONB cannot store it, and no id,
  name or filter sensibly contains it.
* A number is plain decimal digits: at most :data:`MAX_INTEGER_DIGITS` before
  the point (and within 64 bits), at most :data:`MAX_FRACTION_DIGITS` after it,
  and no exponent. ``Decimal("1E+999999")`` is cheap to build but converting
  it to an integer runs for half a minute on the event loop; a 5,000-digit
  integer is refused by the JSON parser itself. Both are refused here, at once,
  on their text. The limits are far above any amount, percentage, quantity or
  id the API accepts, so the field's own rule still gives the precise answer.
"""

from __future__ import annotations

import re
from decimal import Decimal

from opencheckout.domain.errors import InvalidValue

#: 19 digits hold every signed 64-bit integer (9223372036854775807).
MAX_INTEGER_DIGITS = 19
MAX_FRACTION_DIGITS = 20
INT64_MAX = 2**63 - 1
_INT64_MAX_TEXT = str(INT64_MAX)
_INT64_MIN_TEXT = str(INT64_MAX + 1)

_PLAIN_NUMBER = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")


def has_nul(text: str) -> bool:
    """Whether ``text`` contains U+0000 (the one NUL rule, shared by every surface)."""
    return "\x00" in text


def nul_message(param: str | None) -> str:
    subject = param or "The request"
    return f"{subject} may not contain NUL (U+0000) characters."


def number_problem(text: str) -> str | None:
    """Why the number written as ``text`` is refused, or None if it is acceptable."""
    match = _PLAIN_NUMBER.fullmatch(text.strip())
    if match is None:
        return "Write numbers as plain decimal digits, without an exponent (e.g. 19.99)."
    integer, fraction = match.group(1), match.group(2) or ""
    negative = text.strip().startswith("-")
    digits = integer.lstrip("0") or "0"
    limit = _INT64_MIN_TEXT if negative else _INT64_MAX_TEXT
    too_big = len(digits) > MAX_INTEGER_DIGITS or (
        len(digits) == MAX_INTEGER_DIGITS and digits > limit
    )
    if too_big or len(fraction) > MAX_FRACTION_DIGITS:
        return (
            f"Numbers have at most {MAX_INTEGER_DIGITS} digits before the decimal point "
            f"(within ±{INT64_MAX}) and {MAX_FRACTION_DIGITS} after it."
        )
    return None


def bounded_decimal(text: str, *, param: str) -> Decimal:
    """``text`` as an exact Decimal, or a 422 naming ``param`` if the rule refuses it."""
    problem = number_problem(text)
    if problem is not None:
        raise InvalidValue(
            f"Invalid {param}: '{text[:40]}' is not accepted. {problem}", param=param
        )
    return Decimal(text.strip())


def int64_id(text: str) -> int | None:
    """A positive integer id written as ``text``, or None if none can have that id."""
    if not text.isascii() or not text.isdigit() or number_problem(text) is not None:
        return None
    number = int(text)
    return number if number > 0 else None
