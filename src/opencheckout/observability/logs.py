"""Structured logs on stdlib ``logging``: one JSON object per line, or readable
``key=value`` lines for a terminal.

``OPENCHECKOUT_LOG_FORMAT`` picks ``json`` or ``console`` (default: console
when stderr is a terminal, JSON otherwise); ``OPENCHECKOUT_LOG_LEVEL`` the
threshold. Fields travel as ``extra={"fields": {...}}``.

Nothing we log carries a key, secret or card number on purpose, and as a last
line of defence every formatted line goes through :func:`redact`, which masks
anything shaped like an API key, a webhook or Stripe secret, a bearer
credential or a card number.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

FORMATS = ("json", "console")

_SECRET_PATTERNS = (
    # Our keys (sk_/rk_), Stripe's (sk_, rk_, pk_), webhook secrets, bearer/basic values.
    re.compile(r"\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"),
    re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"),
)
#: 13 to 19 digits, optionally grouped by spaces or dashes: a card number's shape.
_CARD_PATTERN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_mask, text)
    return _CARD_PATTERN.sub(_mask_card, text)


def _mask(match: re.Match[str]) -> str:
    value = match.group(0)
    if value.lower().startswith(("bearer", "basic")):
        return value.split()[0] + " [redacted]"
    return value[: value.find("_", 3) + 1] + "[redacted]"


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card redacted]" if _luhn(digits) else match.group(0)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "event", ...fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            **_fields(record),
            # Last, so that a field can never pass for one of these.
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return redact(orjson.dumps(document, default=str).decode())


class ConsoleFormatter(logging.Formatter):
    """``12:00:00.123 INFO  opencheckout.request request route=... status=200``."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S.%f")[:-3]
        pairs = " ".join(f"{key}={_console_value(value)}" for key, value in _fields(record).items())
        line = f"{stamp} {record.levelname:<5} {record.name} {record.getMessage()}"
        if pairs:
            line += " " + pairs
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def _console_value(value: Any) -> str:
    text = str(value)
    return orjson.dumps(text).decode() if (" " in text or not text) else text


def default_format() -> str:
    return "console" if sys.stderr.isatty() else "json"


def configure(log_format: str | None = None, level: str = "INFO") -> None:
    """Send every log record (ours, uvicorn's, SQLAlchemy's) to stderr in one format."""
    chosen = log_format if log_format in FORMATS else default_format()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if chosen == "json" else ConsoleFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper() if level.upper() in logging.getLevelNamesMapping() else "INFO")
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own handlers would print a second, unstructured line.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Each request is logged once, by opencheckout.request, with its route and id.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every outbound URL at info (a webhook URL may carry a token); the
    # worker logs each attempt itself, by endpoint id.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
