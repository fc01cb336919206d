"""A PayPal stand-in on loopback (a thread of its own, a free port), checked
against PayPal's own OpenAPI documents in ``../shared/specs/paypal/openapi/``.

It serves what opencheckout uses: ``POST /v1/oauth2/token``, Orders v2 (create,
get, capture), ``POST /v2/payments/captures/{id}/refund``,
``POST /v1/notifications/verify-webhook-signature``, and an approve page
(``/checkoutnow?token=ORDER``) with Approve and Cancel buttons that send the
buyer to the order's return or cancel URL. It can post signed
``PAYMENT.CAPTURE.*`` events to a webhook URL.

Every request it receives and every response it sends is validated (jsonschema,
``$ref`` resolved inside the document) against the operation in the document
that defines it: its path and header parameters, request body and the body
of the status it answers. The OAuth2 token endpoint is in none of the
documents: its request (Basic auth, ``grant_type=client_credentials`` form)
and response are checked against the shape PayPal documents for it, written
out here (:data:`TOKEN_RESPONSE`). Events it sends are validated against the
notifications document's ``event`` schema, their resource against the payments
document's ``capture-2``. Beyond shapes it checks PayPal's business rules for
orders: a breakdown that sums to the amount, items that sum to ``item_total``,
decimals per currency. A violation is answered as PayPal would (400/422) and
recorded in :attr:`PayPalStandIn.violations`; the fixtures fail a test that
leaves any.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

CLIENT_ID = "standin-client-id"
CLIENT_SECRET = "standin-client-secret-never-logged"
WEBHOOK_ID = "8PT597110STANDIN0WEBHOOK"
#: PayPal's decimals per currency (its currency-codes page), as the stand-in enforces them.
DECIMALS = {"HUF": 0, "JPY": 0, "TWD": 0}

#: The token response as PayPal documents it (not part of the shared OpenAPI files).
TOKEN_RESPONSE: dict[str, Any] = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in", "app_id", "scope", "nonce"],
    "properties": {
        "access_token": {"type": "string", "minLength": 1},
        "token_type": {"enum": ["Bearer"]},
        "expires_in": {"type": "integer", "minimum": 1},
        "app_id": {"type": "string"},
        "scope": {"type": "string"},
        "nonce": {"type": "string"},
    },
    "additionalProperties": False,
}


class Spec:
    """One OpenAPI document: find an operation, validate against its schemas."""

    def __init__(self, path: Path) -> None:
        self.document = json.loads(path.read_text())
        self.name = path.name
        self._templates = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "([^/]+)", template) + "$"), template)
            for template in self.document["paths"]
        ]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for pattern, template in self._templates:
            if pattern.match(path) and method.lower() in self.document["paths"][template]:
                return template, self.document["paths"][template][method.lower()]
        return None

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def errors(self, schema: dict[str, Any], instance: Any) -> list[str]:
        root = {**self.document, "x-standin-schema": schema, "$ref": "#/x-standin-schema"}
        registry: Registry[Any] = Registry().with_resource(
            "urn:standin", Resource(contents=root, specification=DRAFT4)
        )
        validator = jsonschema.Draft4Validator(root, registry=registry)
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:300]}"
            for error in validator.iter_errors(instance)
        ]

    def schema_of(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    html: str | None = None
    drop: bool = False


@dataclass
class Order:
    body: dict[str, Any]
    return_url: str | None
    cancel_url: str | None


class PayPalStandIn:
    def __init__(self, specs_dir: Path) -> None:
        self.orders_spec = Spec(specs_dir / "checkout_orders_v2.json")
        self.payments_spec = Spec(specs_dir / "payments_payment_v2.json")
        self.webhooks_spec = Spec(specs_dir / "notifications_webhooks_v1.json")
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.token_requests = 0
        self.orders: dict[str, Order] = {}
        self.captures: dict[str, str] = {}  # capture id -> order id
        self.refunds: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[tuple[str, str], Answer] = {}
        self._tokens: set[str] = set()
        self._signing_key = secrets.token_bytes(32)
        self._lock = threading.RLock()
        #: The next captures answer this status (``PENDING``, ``DECLINED``) instead of COMPLETED.
        self.capture_status = "COMPLETED"
        #: Capture, then close the connection without answering (the answer is lost).
        self.drop_capture_answers = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> PayPalStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def take_violations(self) -> list[str]:
        with self._lock:
            found, self.violations = self.violations, []
        return found

    def _violation(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

    # -- validation -----------------------------------------------------------------

    def _spec_for(self, path: str) -> Spec | None:
        if path.startswith("/v2/checkout/"):
            return self.orders_spec
        if path.startswith("/v2/payments/"):
            return self.payments_spec
        if path.startswith("/v1/notifications/"):
            return self.webhooks_spec
        return None

    def _check_request(
        self, method: str, path: str, headers: dict[str, str], body: Any, raw: bytes
    ) -> list[str]:
        spec = self._spec_for(path)
        if spec is None:
            return [f"{method} {path}: no PayPal operation"]
        found = spec.operation(method, path)
        if found is None:
            return [f"{method} {path}: not in {spec.name}"]
        template, operation = found
        problems: list[str] = []
        where = f"{method} {template} request"
        for parameter in operation.get("parameters", []):
            parameter = spec.resolve(parameter)
            if parameter["in"] != "header":
                continue
            value = headers.get(parameter["name"].lower())
            if value is None:
                if parameter.get("required"):
                    problems.append(f"{where}: header {parameter['name']} missing")
                continue
            problems += [
                f"{where}: header {parameter['name']}: {error}"
                for error in spec.errors(parameter.get("schema", {}), value)
            ]
        path_values = re.match("^" + re.sub(r"\{[^}]+\}", "([^/]+)", template) + "$", path)
        for parameter in operation.get("parameters", []):
            parameter = spec.resolve(parameter)
            if parameter["in"] == "path" and path_values is not None:
                names = re.findall(r"\{([^}]+)\}", template)
                value = path_values.group(names.index(parameter["name"]) + 1)
                problems += [
                    f"{where}: path {parameter['name']}: {error}"
                    for error in spec.errors(parameter.get("schema", {}), value)
                ]
        if not headers.get("authorization", "").startswith("Bearer "):
            problems.append(f"{where}: no Bearer token")
        request_body = operation.get("requestBody")
        if raw:
            if not headers.get("content-type", "").startswith("application/json"):
                problems.append(f"{where}: body without Content-Type application/json")
            elif request_body is None:
                problems.append(f"{where}: a body where the operation takes none")
            else:
                schema = request_body["content"]["application/json"]["schema"]
                problems += [f"{where}: {error}" for error in spec.errors(schema, body)]
        elif request_body is not None and request_body.get("required"):
            problems.append(f"{where}: body missing")
        return problems

    def _check_response(self, method: str, path: str, answer: Answer) -> list[str]:
        spec = self._spec_for(path)
        found = spec.operation(method, path) if spec is not None else None
        if spec is None or found is None:
            return []
        template, operation = found
        responses = operation["responses"]
        response = responses.get(str(answer.status)) or responses.get("default")
        where = f"{method} {template} response {answer.status}"
        if response is None:
            return [f"{where}: status not documented"]
        response = spec.resolve(response)
        content = (response.get("content") or {}).get("application/json")
        if content is None:
            return [] if answer.body is None else [f"{where}: a body where none is documented"]
        return [f"{where}: {error}" for error in spec.errors(content["schema"], answer.body)]

    # -- HTTP ----------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = standin.dispatch(method, self.path, headers, raw)
                if answer.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if answer.html is not None:
                    payload = answer.html.encode()
                    content_type = "text/html; charset=utf-8"
                elif answer.body is not None:
                    payload = json.dumps(answer.body).encode()
                    content_type = "application/json"
                else:
                    payload, content_type = b"", ""
                self.send_response(answer.status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler

    def dispatch(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query)
        with self._lock:
            self.requests.append((method, path))
        if path == "/v1/oauth2/token" and method == "POST":
            return self._token(headers, raw)
        if path.startswith("/checkoutnow"):
            return self._approve_page(method, path, query, raw)
        if not path.startswith(("/v1/", "/v2/")):
            return Answer(404, html="")  # the web site's other pages (a browser's favicon)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._violation(f"{method} {path}: body is not JSON")
            return self._error(400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON")
        problems = self._check_request(method, path, headers, body, raw)
        if problems:
            for problem in problems:
                self._violation(problem)
            answer = self._error(400, "INVALID_REQUEST", "INVALID_PARAMETER_SYNTAX")
        elif headers["authorization"].removeprefix("Bearer ") not in self._tokens:
            answer = Answer(401, {"error": "invalid_token", "error_description": "Unknown"})
            return answer  # 401 bodies are OAuth-shaped, outside the operation schemas
        else:
            request_id = headers.get("paypal-request-id")
            key = (path, request_id) if request_id else None
            with self._lock:
                if key is not None and key in self._idempotent:
                    replay = copy.deepcopy(self._idempotent[key])
                    replay.status = 200 if replay.status == 201 else replay.status
                    return replay
                answer = self._route(method, path, headers, body)
                if key is not None and answer.status < 500:
                    # A lost answer is replayed to the retry, as PayPal does.
                    self._idempotent[key] = Answer(answer.status, copy.deepcopy(answer.body))
        if not answer.drop:
            for problem in self._check_response(method, path, answer):
                self._violation(problem)
        return answer

    def _error(self, status: int, name: str, issue: str, description: str = "") -> Answer:
        return Answer(
            status,
            {
                "name": name,
                "message": "The request is not well-formed, is syntactically incorrect, "
                "or violates schema."
                if status == 400
                else "The requested action could not be performed.",
                "debug_id": uuid.uuid4().hex[:13],
                "details": [{"issue": issue, "description": description or issue}],
            },
        )

    # -- OAuth2 ---------------------------------------------------------------------

    def _token(self, headers: dict[str, str], raw: bytes) -> Answer:
        with self._lock:
            self.token_requests += 1
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = parse_qs(raw.decode())
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            self._violation("POST /v1/oauth2/token: not a form body")
        if form != {"grant_type": ["client_credentials"]}:
            self._violation(f"POST /v1/oauth2/token: form {form}")
        if headers.get("authorization") != f"Basic {expected}":
            return Answer(
                401,
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
            )
        token = "A21AA" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        body = {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-STANDIN",
            "expires_in": 32400,
            "nonce": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + secrets.token_hex(8),
        }
        for error in jsonschema.Draft4Validator(TOKEN_RESPONSE).iter_errors(body):
            self._violation(f"POST /v1/oauth2/token response: {error.message}")
        return Answer(200, body)

    # -- Orders ---------------------------------------------------------------------

    def _route(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v2/checkout/orders":
            return self._create(body or {})
        if parts[:3] == ["v2", "checkout", "orders"] and len(parts) == 4 and method == "GET":
            return self._get(parts[3])
        if parts[:3] == ["v2", "checkout", "orders"] and parts[4:] == ["capture"]:
            return self._capture(parts[3])
        if parts[:3] == ["v2", "payments", "captures"] and parts[4:] == ["refund"]:
            return self._refund(parts[3], body or {})
        if path == "/v1/notifications/verify-webhook-signature":
            return self._verify(body or {})
        return self._error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")

    def _now(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _amount_problems(self, money: dict[str, Any]) -> list[str]:
        currency, value = money["currency_code"], money["value"]
        decimals = DECIMALS.get(currency, 2)
        places = len(value.split(".")[1]) if "." in value else 0
        if places != decimals:
            return [f"{value} {currency}: PayPal wants {decimals} decimals"]
        return []

    def _business_problems(self, request: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        for unit in request["purchase_units"]:
            amount = unit["amount"]
            problems += self._amount_problems(amount)
            breakdown = amount.get("breakdown")
            items = unit.get("items") or []
            if items and not breakdown:
                problems.append("items without amount.breakdown.item_total")
            if not breakdown:
                continue
            parts = {key: Decimal(value["value"]) for key, value in breakdown.items()}
            for value in breakdown.values():
                problems += self._amount_problems(value)
                if value["currency_code"] != amount["currency_code"]:
                    problems.append("breakdown currency differs from the amount's")
            total = (
                parts.get("item_total", Decimal(0))
                + parts.get("tax_total", Decimal(0))
                + parts.get("shipping", Decimal(0))
                + parts.get("handling", Decimal(0))
                + parts.get("insurance", Decimal(0))
                - parts.get("shipping_discount", Decimal(0))
                - parts.get("discount", Decimal(0))
            )
            if total != Decimal(amount["value"]):
                problems.append(f"AMOUNT_MISMATCH: breakdown {total} != {amount['value']}")
            item_sum = sum(
                (Decimal(item["unit_amount"]["value"]) * int(item["quantity"]) for item in items),
                Decimal(0),
            )
            if items and item_sum != parts.get("item_total"):
                problems.append(f"ITEM_TOTAL_MISMATCH: items {item_sum} != item_total")
        return problems

    def _create(self, request: dict[str, Any]) -> Answer:
        problems = self._business_problems(request)
        if problems:
            for problem in problems:
                self._violation(f"POST /v2/checkout/orders: {problem}")
            return self._error(422, "UNPROCESSABLE_ENTITY", "AMOUNT_MISMATCH")
        order_id = secrets.token_hex(8).upper()[:17]
        context = ((request.get("payment_source") or {}).get("paypal") or {}).get(
            "experience_context"
        ) or {}
        now = self._now()
        units = copy.deepcopy(request["purchase_units"])
        for unit in units:
            unit.setdefault("reference_id", "default")
            unit["payee"] = {
                "email_address": "merchant@example.com",
                "merchant_id": "STANDNMRCHNT2",
            }
        order = {
            "id": order_id,
            "intent": request["intent"],
            "status": "PAYER_ACTION_REQUIRED" if context else "CREATED",
            "purchase_units": units,
            "create_time": now,
            "update_time": now,
            "links": self._order_links(order_id),
        }
        if context:
            order["payment_source"] = {"paypal": {}}
        self.orders[order_id] = Order(order, context.get("return_url"), context.get("cancel_url"))
        return Answer(201, copy.deepcopy(order))

    def _order_links(self, order_id: str) -> list[dict[str, str]]:
        base = f"{self.url}/v2/checkout/orders/{order_id}"
        return [
            {"href": base, "rel": "self", "method": "GET"},
            {
                "href": f"{self.url}/checkoutnow?token={order_id}",
                "rel": "payer-action",
                "method": "GET",
            },
            {"href": f"{base}/capture", "rel": "capture", "method": "POST"},
        ]

    def _get(self, order_id: str) -> Answer:
        order = self.orders.get(order_id)
        if order is None:
            return self._error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        return Answer(200, copy.deepcopy(order.body))

    def _capture(self, order_id: str) -> Answer:
        order = self.orders.get(order_id)
        if order is None:
            return self._error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        if order.body["status"] != "APPROVED":
            issue = (
                "ORDER_ALREADY_CAPTURED"
                if order.body["status"] == "COMPLETED"
                else "ORDER_NOT_APPROVED"
            )
            return self._error(422, "UNPROCESSABLE_ENTITY", issue)
        unit = order.body["purchase_units"][0]
        capture_id = secrets.token_hex(8).upper()[:17]
        now = self._now()
        status = self.capture_status
        capture: dict[str, Any] = {
            "id": capture_id,
            "status": status,
            "amount": {
                "currency_code": unit["amount"]["currency_code"],
                "value": unit["amount"]["value"],
            },
            "final_capture": True,
            "seller_protection": {"status": "ELIGIBLE"},
            "custom_id": unit.get("custom_id"),
            "create_time": now,
            "update_time": now,
            "links": [
                {
                    "href": f"{self.url}/v2/payments/captures/{capture_id}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"{self.url}/v2/payments/captures/{capture_id}/refund",
                    "rel": "refund",
                    "method": "POST",
                },
            ],
        }
        if status == "PENDING":
            capture["status_details"] = {"reason": "PENDING_REVIEW"}
        if capture["custom_id"] is None:
            del capture["custom_id"]
        unit["payments"] = {"captures": [capture]}
        order.body["status"] = "COMPLETED"
        order.body["update_time"] = now
        self.captures[capture_id] = order_id
        answer = Answer(201, copy.deepcopy(order.body))
        if self.drop_capture_answers > 0:
            self.drop_capture_answers -= 1
            answer.drop = True
        return answer

    def set_capture_status(self, order_id: str, status: str) -> dict[str, Any]:
        """PayPal finishing a PENDING capture (what its webhook then reports)."""
        with self._lock:
            capture = self.orders[order_id].body["purchase_units"][0]["payments"]["captures"][0]
            capture["status"] = status
            capture.pop("status_details", None)
            return copy.deepcopy(capture)

    # -- Refunds --------------------------------------------------------------------

    def _refund(self, capture_id: str, request: dict[str, Any]) -> Answer:
        order_id = self.captures.get(capture_id)
        if order_id is None:
            return self._error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        capture = self.orders[order_id].body["purchase_units"][0]["payments"]["captures"][0]
        currency = capture["amount"]["currency_code"]
        paid = Decimal(capture["amount"]["value"])
        done = sum(
            (
                Decimal(r["amount"]["value"])
                for r in self.refunds.values()
                if r["_capture"] == capture_id
            ),
            Decimal(0),
        )
        amount = request.get("amount") or {"currency_code": currency, "value": str(paid - done)}
        if amount["currency_code"] != currency or self._amount_problems(amount):
            self._violation(f"refund amount {amount} for a {currency} capture")
            return self._error(422, "UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION")
        value = Decimal(amount["value"])
        if value <= 0 or done + value > paid:
            return self._error(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED")
        refund_id = secrets.token_hex(8).upper()[:17]
        now = self._now()
        refund = {
            "id": refund_id,
            "status": "COMPLETED",
            "amount": amount,
            "create_time": now,
            "update_time": now,
            "links": [
                {
                    "href": f"{self.url}/v2/payments/refunds/{refund_id}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"{self.url}/v2/payments/captures/{capture_id}",
                    "rel": "up",
                    "method": "GET",
                },
            ],
        }
        self.refunds[refund_id] = {**refund, "_capture": capture_id}
        capture["status"] = "REFUNDED" if done + value == paid else "PARTIALLY_REFUNDED"
        return Answer(201, refund)

    # -- Approval -------------------------------------------------------------------

    def approve(self, order_id: str) -> None:
        with self._lock:
            self.orders[order_id].body["status"] = "APPROVED"

    def _approve_page(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes
    ) -> Answer:
        form = parse_qs(raw.decode()) if method == "POST" else {}
        order_id = (query.get("token") or form.get("token") or [""])[0]
        order = self.orders.get(order_id)
        if order is None:
            return Answer(404, html="<p>Unknown order</p>")
        if method == "GET":
            value = order.body["purchase_units"][0]["amount"]
            hidden = f'<input type="hidden" name="token" value="{order_id}">'
            html = (
                "<!doctype html><title>PayPal stand-in</title>"
                f"<h1>Pay {value['value']} {value['currency_code']}</h1>"
                f'<form method="post" action="/checkoutnow/approve">{hidden}'
                '<button type="submit">Approve</button></form>'
                f'<form method="post" action="/checkoutnow/cancel">{hidden}'
                '<button type="submit">Cancel</button></form>'
            )
            return Answer(200, html=html)
        if path == "/checkoutnow/approve":
            self.approve(order_id)
            target = (
                f"{order.return_url}?{urlencode({'token': order_id, 'PayerID': 'STANDINPAYER'})}"
            )
        else:
            target = f"{order.cancel_url}?{urlencode({'token': order_id})}"
        return Answer(303, headers={"Location": target}, html="")

    # -- Webhooks -------------------------------------------------------------------

    def _signature(self, transmission_id: str, when: str, webhook_id: str, event: Any) -> str:
        canonical = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
        message = f"{transmission_id}|{when}|{webhook_id}|{zlib.crc32(canonical)}".encode()
        # Hex: the spec's pattern wants a word character first (base64 may start with +).
        return "SIG" + hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    def _verify(self, request: dict[str, Any]) -> Answer:
        expected = self._signature(
            request["transmission_id"],
            request["transmission_time"],
            request["webhook_id"],
            request["webhook_event"],
        )
        ok = hmac.compare_digest(expected, request["transmission_sig"]) and (
            request["webhook_id"] == WEBHOOK_ID
        )
        return Answer(200, {"verification_status": "SUCCESS" if ok else "FAILURE"})

    def event(self, event_type: str, order_id: str) -> dict[str, Any]:
        """A ``PAYMENT.CAPTURE.*`` event about the order's capture, validated."""
        with self._lock:
            capture = copy.deepcopy(
                self.orders[order_id].body["purchase_units"][0]["payments"]["captures"][0]
            )
        capture["supplementary_data"] = {"related_ids": {"order_id": order_id}}
        event = {
            "id": "WH-" + secrets.token_hex(10).upper(),
            "create_time": self._now(),
            "resource_type": "capture",
            "event_type": event_type,
            "event_version": "1.0",
            "resource_version": "2.0",
            "summary": f"Payment {event_type.rsplit('.', 1)[-1].lower()}",
            "resource": capture,
            "links": [
                {
                    "href": f"{self.url}/v1/notifications/webhooks-events/x",
                    "rel": "self",
                    "method": "GET",
                }
            ],
        }
        for error in self.webhooks_spec.errors(self.webhooks_spec.schema_of("event"), event):
            self._violation(f"event: {error}")
        for error in self.payments_spec.errors(self.payments_spec.schema_of("capture-2"), capture):
            self._violation(f"event resource: {error}")
        return event

    def send(self, url: str, event: dict[str, Any], *, forge: bool = False) -> httpx.Response:
        """Post ``event`` to ``url`` signed as PayPal does (``forge``: a wrong signature)."""
        transmission_id = str(uuid.uuid4())
        when = self._now()
        signature = self._signature(transmission_id, when, WEBHOOK_ID, event)
        if forge:
            signature = "SIG" + secrets.token_hex(32)
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-CERT-URL": f"{self.url}/v1/notifications/certs/CERT-STANDIN",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-SIG": signature,
            "PAYPAL-TRANSMISSION-TIME": when,
        }
        return httpx.post(url, content=json.dumps(event), headers=headers, timeout=30)
