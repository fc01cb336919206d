"""Building blocks for delivering events to merchants' webhook endpoints.

Everything here is free of the database on purpose: the outbox and the worker
loop own persistence and scheduling, and call into these modules to sign a
payload (:mod:`.signing`), keep requests away from internal networks
(:mod:`.netguard`) and make one delivery attempt (:mod:`.sender`).
"""
