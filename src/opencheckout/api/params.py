"""Query parameters and response helpers shared by the list endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import Query, Response

from opencheckout.domain.errors import InvalidValue


def json_response(content: Any, status_code: int = 200) -> Response:
    """Serialize with orjson directly: the hot paths skip response-model validation."""
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


#: Longer than any ISO 8601 time with offset and fraction ("2026-12-02T05:30:00.123456+05:30").
MAX_TIMESTAMP_LENGTH = 40


def parse_timestamp(value: str, param: str) -> datetime:
    """Unix seconds or ISO 8601 (a naive time is taken as UTC)."""
    text = value.strip()
    try:
        if len(text) > MAX_TIMESTAMP_LENGTH:
            # Bounded by its text before int(): a 4,000-digit number is no time.
            raise ValueError(text)
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise InvalidValue(
            f"'{value[:40]}' is neither unix seconds nor an ISO 8601 time.",
            code="timestamp_invalid",
            param=param,
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class CreatedRange:
    gte: datetime | None = None
    gt: datetime | None = None
    lte: datetime | None = None
    lt: datetime | None = None


async def created_range(
    gte: str | None = Query(None, alias="created[gte]", description="Unix seconds or ISO 8601."),
    gt: str | None = Query(None, alias="created[gt]", description="Unix seconds or ISO 8601."),
    lte: str | None = Query(None, alias="created[lte]", description="Unix seconds or ISO 8601."),
    lt: str | None = Query(None, alias="created[lt]", description="Unix seconds or ISO 8601."),
) -> CreatedRange:
    return CreatedRange(
        gte=parse_timestamp(gte, "created[gte]") if gte else None,
        gt=parse_timestamp(gt, "created[gt]") if gt else None,
        lte=parse_timestamp(lte, "created[lte]") if lte else None,
        lt=parse_timestamp(lt, "created[lt]") if lt else None,
    )
