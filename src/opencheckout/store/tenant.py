"""The tenant every query is scoped to: an account, in test or live mode."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tenant:
    account_id: str
    livemode: bool
