"""UCP's AP2 mandates extension over real HTTP on both engines and both versions.

A platform publishing a profile that declares ``dev.ucp.shopping.ap2_mandate`` (and its
``signing_keys``) gets ``ap2.merchant_authorization`` on every checkout response, a
detached ES256 JWS over the JCS form of the checkout without ``ap2``, verified here with
the key of our profile; ``complete`` then needs an SD-JWT+kb checkout mandate, built here
with ``cryptography`` keys: valid, expired, tampered, wrong key, wrong checkout, no
mandate, no merchant authorization.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from opencheckout.webhooks.ucp_signature import canonical_json
from tests.test_ucp import (
    DESTINATION,
    V1,
    V2,
    Schemas,
    complete_body,
    line,
    platform_profile,
    shop,
    ucp,
)

__all__ = ["platform_profile", "shop", "ucp"]  # fixtures used by the tests below

AP2 = "dev.ucp.shopping.ap2_mandate"
NAMES = ("dev.ucp.shopping.checkout", "dev.ucp.shopping.fulfillment", AP2)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Key:
    """An ES256 key as a platform (or the buyer's wallet) holds it."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {
            "kid": self.kid,
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
            "alg": "ES256",
            "use": "sig",
        }

    def sign(self, message: bytes) -> str:
        r, s = decode_dss_signature(self.private.sign(message, ec.ECDSA(hashes.SHA256())))
        return b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def jwt(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        head = b64url(json.dumps(header).encode())
        body = b64url(json.dumps(claims).encode())
        return f"{head}.{body}.{self.sign(f'{head}.{body}'.encode())}"


def mandate(
    platform: Key,
    holder: Key,
    checkout: dict[str, Any] | None = None,
    *,
    exp: float | None = None,
    kid: str | None = None,
    raw: str | None = None,
) -> str:
    """An SD-JWT+kb: the checkout as a selectively disclosed claim (or the disclosure
    ``raw``), bound to ``holder``."""
    text = raw if raw is not None else json.dumps([uuid.uuid4().hex, "checkout", checkout])
    disclosure = b64url(text.encode())
    digest = b64url(hashlib.sha256(disclosure.encode()).digest())
    claims = {
        "iss": "https://platform.example",
        "iat": int(time.time()),
        "exp": int(exp if exp is not None else time.time() + 600),
        "_sd": [digest],
        "_sd_alg": "sha-256",
        "cnf": {"jwk": holder.jwk()},
    }
    issued = platform.jwt({"alg": "ES256", "typ": "dc+sd-jwt", "kid": kid or platform.kid}, claims)
    presentation = f"{issued}~{disclosure}~"
    sd_hash = b64url(hashlib.sha256(presentation.encode()).digest())
    kb = holder.jwt(
        {"alg": "ES256", "typ": "kb+jwt"},
        {"iat": int(time.time()), "aud": "https://shop.example", "nonce": "n", "sd_hash": sd_hash},
    )
    return presentation + kb


def validate(version: str, body: dict[str, Any]) -> None:
    schemas = Schemas.of(version)
    schemas.checkout(body)
    ref = "checkout_response_with_ap2" if version == V1 else "dev.ucp.shopping.checkout"
    schemas.validate(body, f"schemas/shopping/ap2_mandate.json#/$defs/{ref}")


def check_authorization(body: dict[str, Any], our_key: dict[str, Any]) -> None:
    """Verify ``ap2.merchant_authorization`` as the spec tells a platform to."""
    header_b64, empty, signature = body["ap2"]["merchant_authorization"].split(".")
    assert empty == ""
    header = json.loads(unb64url(header_b64))
    assert header == {"alg": "ES256", "kid": our_key["kid"]}
    payload = {k: v for k, v in body.items() if k != "ap2"}
    signing_input = f"{header_b64}.{b64url(canonical_json(payload))}".encode()
    x = int.from_bytes(unb64url(our_key["x"]), "big")
    y = int.from_bytes(unb64url(our_key["y"]), "big")
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))


def publish(profile: dict[str, Any], version: str, keys: list[dict[str, Any]]) -> None:
    if version == V1:
        profile["ucp"] = {
            "version": V1,
            "capabilities": [{"name": name, "version": V1} for name in NAMES],
        }
    else:
        profile["ucp"] = {
            "version": V2,
            "capabilities": {name: [{"version": V2}] for name in NAMES},
        }
    profile["signing_keys"] = keys


def ready_checkout(ucp: httpx.Client, version: str, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "line_items": [line("orchid_white")],
        "buyer": {"email": "ap2@example.com"},
        "fulfillment": {"methods": [{"type": "shipping", "destinations": [DESTINATION]}]},
    }
    created = ucp.post("/checkout-sessions", json=body, headers=headers)
    assert created.status_code == 201, created.text
    validate(version, created.json())
    method = created.json()["fulfillment"]["methods"][0]
    group = method["groups"][0]
    body["fulfillment"]["methods"][0]["groups"] = [
        {"id": group["id"], "selected_option_id": group["options"][0]["id"]}
    ]
    ready = ucp.put(f"/checkout-sessions/{created.json()['id']}", json=body, headers=headers)
    assert ready.status_code == 200, ready.text
    validate(version, ready.json())
    assert ready.json()["status"] == "ready_for_complete", ready.json()
    result: dict[str, Any] = ready.json()
    return result


def complete(
    ucp: httpx.Client, version: str, checkout_id: str, headers: dict[str, str], sent: str | None
) -> httpx.Response:
    body = complete_body(version, "success_token")
    if sent is not None:
        body["ap2"] = {"checkout_mandate": sent}
    return ucp.post(f"/checkout-sessions/{checkout_id}/complete", json=body, headers=headers)


def refused_with(response: httpx.Response, version: str, code: str) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    validate(version, body)
    # Not paid: the refusal is a recoverable error on the checkout (so it reads incomplete).
    assert body["status"] == "incomplete" and "order" not in body
    errors = [m for m in body.get("messages", []) if m["type"] == "error"]
    assert [(m["code"], m["path"]) for m in errors] == [(code, "$.ap2.checkout_mandate")], errors


@pytest.mark.parametrize("version", [V1, V2])
def test_ap2_session_is_signed_and_needs_a_valid_mandate(
    shop: Any, ucp: httpx.Client, platform_profile: Any, version: str
) -> None:
    base, profile = platform_profile
    platform, holder, stranger = Key("platform_1"), Key("wallet"), Key("platform_1")
    publish(profile, version, [platform.jwk()])
    headers = {"UCP-Agent": f'profile="{base}/ap2/{version}/{uuid.uuid4().hex}"'}
    with httpx.Client(base_url=shop.url, timeout=30) as root:
        ours = root.get(f"/.well-known/ucp/{version}").json()
    Schemas.of(version).profile(ours)
    entries = ours["ucp"]["capabilities"]
    ap2_entry = next(e for e in entries if e["name"] == AP2) if version == V1 else entries[AP2][0]
    assert ap2_entry["extends"] == "dev.ucp.shopping.checkout"
    assert ap2_entry["config"] == {"vp_formats_supported": {"dc+sd-jwt": {}}}
    our_key = ours["signing_keys"][0]

    ready = ready_checkout(ucp, version, headers)
    check_authorization(ready, our_key)
    checkout_id = ready["id"]
    fetched = ucp.get(f"/checkout-sessions/{checkout_id}", headers=headers)
    validate(version, fetched.json())
    check_authorization(fetched.json(), our_key)

    refused_with(complete(ucp, version, checkout_id, headers, None), version, "mandate_required")
    expired = mandate(platform, holder, ready, exp=time.time() - 3600)
    refused_with(complete(ucp, version, checkout_id, headers, expired), version, "mandate_expired")
    forged = mandate(stranger, holder, ready)
    refused_with(
        complete(ucp, version, checkout_id, headers, forged), version, "mandate_invalid_signature"
    )
    unknown_kid = mandate(platform, holder, ready, kid="rotated_away")
    refused_with(
        complete(ucp, version, checkout_id, headers, unknown_kid), version, "agent_missing_key"
    )
    # A checkout whose terms were changed after we signed them.
    tampered = {**ready, "totals": [{**t, "amount": 1} for t in ready["totals"]]}
    refused_with(
        complete(ucp, version, checkout_id, headers, mandate(platform, holder, tampered)),
        version,
        "merchant_authorization_invalid",
    )
    unsigned = {k: v for k, v in ready.items() if k != "ap2"}
    refused_with(
        complete(ucp, version, checkout_id, headers, mandate(platform, holder, unsigned)),
        version,
        "merchant_authorization_missing",
    )
    # Another checkout we signed is not this one.
    other = ready_checkout(ucp, version, headers)
    refused_with(
        complete(ucp, version, checkout_id, headers, mandate(platform, holder, other)),
        version,
        "mandate_scope_mismatch",
    )
    # The key binding must be the holder's, over this presentation.
    good = mandate(platform, holder, ready)
    rebound = good.rsplit("~", 1)[0] + "~" + mandate(platform, stranger, ready).rsplit("~", 1)[1]
    refused_with(
        complete(ucp, version, checkout_id, headers, rebound), version, "mandate_invalid_signature"
    )
    unbound = good.rsplit("~", 1)[0] + "~"
    refused_with(
        complete(ucp, version, checkout_id, headers, unbound), version, "mandate_invalid_signature"
    )

    paid = complete(ucp, version, checkout_id, headers, good)
    assert paid.status_code == 200, paid.text
    validate(version, paid.json())
    assert paid.json()["status"] == "completed", paid.json()
    check_authorization(paid.json(), our_key)


@pytest.mark.parametrize("version", [V1, V2])
def test_profile_without_keys_and_session_lock(
    ucp: httpx.Client, platform_profile: Any, version: str
) -> None:
    base, profile = platform_profile
    platform, holder = Key("platform_2"), Key("wallet")
    publish(profile, version, [])
    headers = {"UCP-Agent": f'profile="{base}/ap2/{version}/{uuid.uuid4().hex}"'}
    ready = ready_checkout(ucp, version, headers)
    assert "merchant_authorization" in ready["ap2"]
    refused_with(
        complete(ucp, version, ready["id"], headers, mandate(platform, holder, ready)),
        version,
        "agent_missing_key",
    )
    # The session stays locked: naming only a version (no AP2 in the intersection) does
    # not turn the mandate off.
    plain = {"UCP-Agent": f'profile="https://agent.example/.well-known/ucp", version="{version}"'}
    refused_with(complete(ucp, version, ready["id"], plain, None), version, "mandate_required")
    # A platform without AP2 sees no ap2 on its own sessions and completes without one.
    created = ucp.post(
        "/checkout-sessions", json={"line_items": [line("bouquet_tulips")]}, headers=plain
    )
    assert created.status_code == 201, created.text
    assert "ap2" not in created.json()
    names = created.json()["ucp"]["capabilities"]
    assert AP2 not in (names if version == V2 else [c["name"] for c in names])


@pytest.mark.parametrize("version", [V2])
def test_hostile_mandates_are_refused_not_500(
    ucp: httpx.Client, platform_profile: Any, version: str
) -> None:
    base, profile = platform_profile
    platform, holder = Key("platform_3"), Key("wallet")
    publish(profile, version, [platform.jwk()])
    headers = {"UCP-Agent": f'profile="{base}/ap2/{version}/{uuid.uuid4().hex}"'}
    ready = ready_checkout(ucp, version, headers)
    # Nested past what the JSON parser takes, and nearly as deep as Python recurses.
    too_deep = "[" * 3000 + "]" * 3000
    deep = '{"a":' * 900 + "1" + "}" * 900
    signed = json.dumps(ready)[:-1]
    hostile = [
        "a~b",
        "~~~",
        "x" * 300_000 + "~",
        "e30.e30.AA~" + "A" * 10 + "~",
        mandate(platform, holder, raw=f'["salt", "checkout", {too_deep}]'),
        mandate(platform, holder, raw=f'["salt", "checkout", {signed}, "deep": {deep}}}]'),
        mandate(platform, holder, {**ready, "ap2": {"merchant_authorization": "x..y"}}),
        mandate(platform, holder, {**ready, "ap2": "nope"}),
        mandate(platform, holder, {**ready, "ap2": {"merchant_authorization": 5}}),
    ]
    for sent in hostile:
        answer = complete(ucp, version, ready["id"], headers, sent)
        assert answer.status_code == 200, answer.text[:300]
        errors = [m for m in answer.json().get("messages", []) if m["type"] == "error"]
        assert errors and errors[0]["path"] == "$.ap2.checkout_mandate", errors
    not_a_string = complete_body(version, "success_token") | {"ap2": {"checkout_mandate": 5}}
    answer = ucp.post(
        f"/checkout-sessions/{ready['id']}/complete", json=not_a_string, headers=headers
    )
    assert answer.json()["messages"][0]["code"] == "mandate_required"
