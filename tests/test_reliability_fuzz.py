"""Fuzzing: schemathesis generates requests from the service's own ``/openapi.json``
and sends them to the live test server over HTTP, on SQLite and PostgreSQL.

Valid requests and deliberately invalid ones (schemathesis' negative mode) are
mixed. Every response must be a non-5xx whose status, content type and body match
what the schema documents for it. The run is bounded (examples per operation,
a fixed seed, no shrinking past a deadline) so it stays within CI's budget and
fails the same way every time.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

#: Generated cases per operation and engine: enough to cross every parameter's
#: edge cases, few enough that both engines fuzz in about a minute.
EXAMPLES_PER_OPERATION = 25
#: Findings in code outside this change, reported to its owners rather than
#: hidden: these operations are not fuzzed until they are fixed.
KNOWN_ISSUES: dict[str, str] = {}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations(server):
    document = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    for result in schema.get_all_operations():
        yield result.ok()


def test_no_operation_answers_5xx_or_breaks_its_schema(server, account):
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {account.secret_key}"}
    operations = list(_operations(server))
    assert len(operations) > 10

    for operation in operations:
        if operation.label in KNOWN_ISSUES:
            continue

        @seed(20261123)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )
        )
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture(autouse=True)
def _quiet_schemathesis_warnings(recwarn):
    """Schemathesis warns about schema features it skips; they are not our failures."""
    yield
