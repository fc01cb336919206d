"""When to try a failed webhook delivery again, and when to stop.

Pure arithmetic; the worker stores the attempt count and the first attempt's
time and asks here for the next wait.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

#: Deliveries are retried for three days after the first attempt.
RETRY_WINDOW = timedelta(days=3)
#: No single wait is longer than this, so a receiver that comes back is
#: served within hours even late in the window.
MAX_DELAY = timedelta(hours=6)
# 2**64 already dwarfs any sensible cap; clamping avoids float overflow.
_MAX_EXPONENT = 64


def next_attempt_delay(
    attempt: int,
    *,
    base_seconds: float,
    rng: random.Random | None = None,
    cap: timedelta = MAX_DELAY,
) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1 = the first attempt).

    The ceiling doubles from ``base_seconds`` (base, 2 x base, 4 x base, ...)
    up to ``cap``, and the wait is drawn with *equal jitter* from
    ``[ceiling / 2, ceiling]``.

    Why equal rather than full jitter (``[0, ceiling]``): jitter is there so
    the deliveries that failed together during a merchant's outage do not all
    come back at the same instant; half the range is plenty for that. Full
    jitter would also allow near-zero waits late in the schedule, hitting a
    receiver that is still down and making the schedule merchants see in
    their delivery log erratic. With equal jitter every wait is at least half
    its ceiling, so waits keep growing attempt after attempt.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if base_seconds <= 0:
        raise ValueError("base_seconds must be positive")
    exponent = min(attempt - 1, _MAX_EXPONENT)
    ceiling = min(base_seconds * 2.0**exponent, cap.total_seconds())
    draw = (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=ceiling * draw)


def should_give_up(
    first_attempt_at: datetime, now: datetime, *, window: timedelta = RETRY_WINDOW
) -> bool:
    """True once ``window`` has passed since the first attempt.

    Both times must be aware (or both naive, in the same zone).
    """
    return now - first_attempt_at >= window
