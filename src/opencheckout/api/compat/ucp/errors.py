"""UCP's two error shapes.

* Protocol errors (negotiation, authentication, idempotency, rate limits): the
  HTTP status says it, with a ``{code, content}`` body (``continue_url`` where
  the buyer can go on in a browser).
* Resource outcomes (no such session, a request the business cannot act on, a
  declined payment): the ``error_response`` envelope, ``{ucp: {version,
  status: "error"}, messages: [...], continue_url}``.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from opencheckout.service.ucp_versions import LATEST, VERSIONS, Version


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


class UcpError(Exception):
    """A refusal in one of the two shapes (``envelope``: the ``error_response`` one)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        content: str,
        *,
        envelope: bool = False,
        path: str | None = None,
        severity: str = "unrecoverable",
        continue_url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(content)
        self.status_code = status_code
        self.code = code
        self.content = content
        self.envelope = envelope
        self.path = path
        self.severity = severity
        self.continue_url = continue_url
        self.headers = headers

    def response(self, version: Version | None = None) -> Response:
        body: dict[str, Any]
        if self.envelope:
            message: dict[str, Any] = {
                "type": "error",
                "code": self.code,
                "content": self.content,
                "severity": self.severity,
            }
            if self.path is not None:
                message["path"] = self.path
            body = {
                "ucp": (version or VERSIONS[LATEST]).error_metadata(),
                "messages": [message],
            }
        else:
            body = {"code": self.code, "content": self.content}
        if self.continue_url is not None:
            body["continue_url"] = self.continue_url
        return json_response(body, self.status_code, self.headers)


def outcome(
    status_code: int,
    code: str,
    content: str,
    *,
    path: str | None = None,
    severity: str = "unrecoverable",
    continue_url: str | None = None,
) -> UcpError:
    return UcpError(
        status_code,
        code,
        content,
        envelope=True,
        path=path,
        severity=severity,
        continue_url=continue_url,
    )
