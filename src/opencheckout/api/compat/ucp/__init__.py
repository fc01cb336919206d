"""The Universal Commerce Protocol (UCP): discovery at ``/.well-known/ucp`` and the
shopping service's REST binding at ``/ucp``, versions 2026-01-11 and 2026-04-08.

Thin: :mod:`.negotiation` picks the version from ``UCP-Agent``, :mod:`.route`
resolves the account sold for and applies idempotency and UCP's error shapes,
:mod:`.mapping` translates requests and responses, :mod:`.rest` calls the native
services.
"""
