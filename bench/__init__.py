"""Benchmarks: opencheckout against a bare-stack baseline, run by ``make bench``.

``python -m bench`` starts real ``opencheckout serve`` processes and a minimal
ASGI app (:mod:`bench.baseline`) under the same uvicorn, driver and database,
drives both with the same keep-alive load generator (:mod:`bench.client`) and
writes ``bench/results/``. Nothing here is part of ``make test``'s pass/fail.
"""
