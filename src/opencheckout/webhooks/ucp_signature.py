"""The business's UCP signing key and the two ways UCP versions sign webhooks.

The key is an ECDSA P-256 key (ES256) derived from the server's secret key
(``OPENCHECKOUT_SECRET_KEY``, or the generated one every process of a
deployment reads), so every ``serve`` and ``worker`` process signs with the same
key without storing another secret, and the profile publishes its public half in
``signing_keys``.

* 2026-04-08: RFC 9421 HTTP Message Signatures over ``@method``, ``@authority``,
  ``@path``, ``content-digest`` and ``content-type`` (``Signature-Input``,
  ``Signature``; the signature is the raw 64-byte ``r || s``), with the RFC 9530
  ``Content-Digest``.
* 2026-01-11: a detached JWS (RFC 7797, unencoded payload) over the body, in
  ``Request-Signature``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from opencheckout.config import Settings
from opencheckout.pages.security import resolve_secret_key

#: The order of the P-256 group.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
COMPONENTS = ("@method", "@authority", "@path", "content-digest", "content-type")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@functools.lru_cache(maxsize=8)
def _key_from(secret: bytes) -> ec.EllipticCurvePrivateKey:
    seed = hmac.new(secret, b"opencheckout ucp signing key (ES256)", hashlib.sha256).digest()
    scalar = int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def private_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    return _key_from(resolve_secret_key(settings))


def jwk(settings: Settings) -> dict[str, Any]:
    """The public key as the profile's ``signing_keys`` entry."""
    numbers = private_key(settings).public_key().public_numbers()
    x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
    return {
        "kid": "oc_" + hashlib.sha256(x + y).hexdigest()[:16],
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(x),
        "y": _b64url(y),
        "use": "sig",
        "alg": "ES256",
    }


def _es256(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def signature_base(method: str, url: str, headers: dict[str, str], params: str) -> bytes:
    """The RFC 9421 signature base for :data:`COMPONENTS` (``headers`` lower-cased)."""
    parts = urlsplit(url)
    values = {
        "@method": method.upper(),
        "@authority": parts.netloc.lower(),
        "@path": parts.path or "/",
        "content-digest": headers["content-digest"],
        "content-type": headers["content-type"],
    }
    lines = [f'"{name}": {values[name]}' for name in COMPONENTS]
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines).encode()


def sign_request(
    settings: Settings, method: str, url: str, headers: dict[str, str], now: float | None = None
) -> dict[str, str]:
    """``Signature-Input`` and ``Signature`` for a request (2026-04-08)."""
    key = jwk(settings)["kid"]
    created = int(now if now is not None else time.time())
    params = (
        "(" + " ".join(f'"{name}"' for name in COMPONENTS) + f');created={created};keyid="{key}"'
    )
    signature = _es256(private_key(settings), signature_base(method, url, headers, params))
    return {
        "signature-input": f"sig1={params}",
        "signature": f"sig1=:{base64.b64encode(signature).decode()}:",
    }


def detached_jws(settings: Settings, body: bytes) -> str:
    """A detached, unencoded-payload JWS over ``body`` (2026-01-11's ``Request-Signature``)."""
    header = {"alg": "ES256", "kid": jwk(settings)["kid"], "b64": False, "crit": ["b64"]}
    protected = _b64url(orjson.dumps(header))
    signature = _es256(private_key(settings), protected.encode() + b"." + body)
    return f"{protected}..{_b64url(signature)}"
