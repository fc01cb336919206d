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

AP2 mandates use the same key: :func:`sign_document` is the merchant
authorization (a detached JWS over a JSON document in RFC 8785 JCS form), and
:func:`public_key` / :func:`verify_es256` check a platform's ES256 signatures.
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
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

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


# --- JCS and detached JWS over a JSON document (AP2 mandates) -------------------------

#: JCS's escapes (RFC 8785 3.2.2.2: ECMAScript's JSON.stringify).
_JCS_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _jcs_string(value: str) -> str:
    out = []
    for char in value:
        escaped = _JCS_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _jcs_number(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("JCS has no NaN or Infinity")
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)  # the shortest round-trip form, as ECMAScript's
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return text
    power = int(exponent)
    if -7 < power < 21:
        return format(value, "f").rstrip("0").rstrip(".")
    return f"{mantissa.removesuffix('.0')}e{'+' if power > 0 else '-'}{abs(power)}"


def _jcs(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, bool):
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_jcs_number(value))
    elif isinstance(value, str):
        out.append(_jcs_string(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for n, item in enumerate(value):
            if n:
                out.append(",")
            _jcs(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        # Members sorted by their names' UTF-16 code units.
        for n, key in enumerate(sorted(value, key=lambda k: str(k).encode("utf-16-be"))):
            if n:
                out.append(",")
            out.append(_jcs_string(str(key)) + ":")
            _jcs(value[key], out)
        out.append("}")
    else:
        raise TypeError(f"not JSON: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """``value`` in the JSON Canonicalization Scheme (RFC 8785)."""
    out: list[str] = []
    _jcs(value, out)
    return "".join(out).encode()


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url; ValueError when it is not."""
    if not text or any(c not in _B64URL for c in text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url(data: bytes) -> str:
    return _b64url(data)


def sign_document(settings: Settings, document: Any) -> str:
    """A JWS with detached content (RFC 7515 Appendix F) over ``document``'s JCS form:
    ``<header>..<signature>``, header ``{alg: ES256, kid}`` (AP2's merchant authorization)."""
    protected = _b64url(orjson.dumps({"alg": "ES256", "kid": jwk(settings)["kid"]}))
    signing_input = f"{protected}.{_b64url(canonical_json(document))}".encode()
    return f"{protected}..{_b64url(_es256(private_key(settings), signing_input))}"


def public_key(key: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """A P-256 JWK's public key; ValueError when it is not one."""
    if key.get("kty") != "EC" or key.get("crv") != "P-256":
        raise ValueError("not an EC P-256 key")
    x, y = key.get("x"), key.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise ValueError("the key needs x and y")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url_decode(x), "big"),
        int.from_bytes(b64url_decode(y), "big"),
        ec.SECP256R1(),
    )
    return numbers.public_key()


def verify_es256(key: ec.EllipticCurvePublicKey, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (JWS's raw ``r || s``) signs ``message``."""
    if len(signature) != 64:
        return False
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def verify_document(settings: Settings, jws: str, document: Any) -> bool:
    """Whether ``jws`` is our own :func:`sign_document` signature over ``document``."""
    protected, dot, rest = jws.partition("..")
    if not dot or "." in rest:
        return False
    try:
        header = orjson.loads(b64url_decode(protected))
        signature = b64url_decode(rest)
    except (ValueError, orjson.JSONDecodeError):
        return False
    ours = jwk(settings)
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        return False
    if header.get("kid") != ours["kid"]:
        return False
    signing_input = f"{protected}.{_b64url(canonical_json(document))}".encode()
    return verify_es256(private_key(settings).public_key(), signing_input, signature)
