"""UCP's AP2 mandates extension (``dev.ucp.shopping.ap2_mandate``).

Once the extension is in the capability intersection the session is locked:

* every checkout response carries ``ap2.merchant_authorization``, our detached
  JWS (ES256, the profile's ``signing_keys`` key) over the JCS form of the
  response without ``ap2`` (:func:`authorize`);
* ``complete`` needs ``ap2.checkout_mandate``, an SD-JWT with key binding
  (``<issuer JWT>~<disclosure>~...~<KB-JWT>``) signed by a key of the platform
  profile's ``signing_keys`` (the trusted platform provider flow). Its claims,
  disclosures applied, carry the checkout the buyer approved under ``checkout``;
  that checkout's own merchant authorization must be ours and its terms (id,
  currency, line items, totals) those of the session now (:func:`verify_mandate`).
  The KB-JWT's ``aud`` and ``nonce`` are not checked: the business issues no
  nonce, and the binding is to this session's terms instead.

Refusals are :class:`MandateError` with the extension's error codes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

import orjson

from opencheckout.config import Settings
from opencheckout.webhooks import ucp_signature as signing

#: The terms a mandate must agree with the session on.
TERMS = ("id", "currency", "line_items", "totals")
#: Seconds of clock skew allowed on ``exp`` and ``iat``.
LEEWAY_SECONDS = 60
MAX_MANDATE_CHARS = 256 * 1024


class MandateError(Exception):
    """A refusal with one of the extension's ``error_code`` values."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def authorize(settings: Settings, checkout: dict[str, Any]) -> dict[str, Any]:
    """``checkout`` with ``ap2.merchant_authorization`` over the rest of it."""
    payload = {k: v for k, v in checkout.items() if k != "ap2"}
    return {**payload, "ap2": {"merchant_authorization": signing.sign_document(settings, payload)}}


def _segment_json(segment: str, what: str) -> Any:
    try:
        return orjson.loads(signing.b64url_decode(segment))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise MandateError("mandate_invalid_signature", f"The {what} is not valid.") from exc


def _jwt(token: str, what: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Header, claims, signing input and signature of a compact JWS."""
    parts = token.split(".")
    if len(parts) != 3:
        raise MandateError("mandate_invalid_signature", f"The {what} is not a compact JWS.")
    header, claims = _segment_json(parts[0], what), _segment_json(parts[1], what)
    try:
        signature = signing.b64url_decode(parts[2])
    except ValueError as exc:
        raise MandateError("mandate_invalid_signature", f"The {what} is not valid.") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MandateError("mandate_invalid_signature", f"The {what} is not valid.")
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature


def _verify(key: dict[str, Any], header: dict[str, Any], message: bytes, sig: bytes) -> bool:
    if header.get("alg") != "ES256":
        return False
    try:
        public = signing.public_key(key)
    except ValueError:
        return False
    return signing.verify_es256(public, message, sig)


def _platform_key(keys: Sequence[dict[str, Any]], kid: Any) -> dict[str, Any]:
    usable = [k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)]
    if not usable:
        raise MandateError(
            "agent_missing_key", "The platform profile has no signing_keys to verify mandates."
        )
    for key in usable:
        if key["kid"] == kid:
            return key
    raise MandateError(
        "agent_missing_key", "No key of the platform profile's signing_keys has the mandate's kid."
    )


def _disclose(value: Any, disclosed: dict[str, tuple[str, Any]]) -> Any:
    """Claims with the disclosed ``_sd`` digests put back (RFC 9901 7.1)."""
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict) and set(item) == {"..."}:
                entry = disclosed.pop(str(item["..."]), None)
                if entry is not None:
                    out.append(_disclose(entry[1], disclosed))
                continue
            out.append(_disclose(item, disclosed))
        return out
    if not isinstance(value, dict):
        return value
    result = {k: _disclose(v, disclosed) for k, v in value.items() if k not in ("_sd", "_sd_alg")}
    for digest in value.get("_sd") or []:
        entry = disclosed.pop(str(digest), None)
        if entry is not None and entry[0]:
            result[entry[0]] = _disclose(entry[1], disclosed)
    return result


def _disclosures(segments: Sequence[str]) -> dict[str, tuple[str, Any]]:
    """Each disclosure by its SHA-256 digest: (claim name, or "" in an array; value)."""
    out: dict[str, tuple[str, Any]] = {}
    for segment in segments:
        item = _segment_json(segment, "disclosure")
        if not isinstance(item, list) or len(item) not in (2, 3):
            raise MandateError("mandate_invalid_signature", "A disclosure is not valid.")
        name = item[1] if len(item) == 3 else ""
        if not isinstance(name, str) or name in ("_sd", "..."):
            raise MandateError("mandate_invalid_signature", "A disclosure is not valid.")
        digest = signing.b64url(hashlib.sha256(segment.encode()).digest())
        out[digest] = (name, item[-1])
    return out


def _key_binding(presentation: str, kb_jwt: str, claims: dict[str, Any], now: float) -> None:
    """The KB-JWT: signed by the ``cnf`` key, over this very presentation (``sd_hash``)."""
    cnf = claims.get("cnf")
    holder = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(holder, dict) or not kb_jwt:
        raise MandateError("mandate_invalid_signature", "The mandate has no key binding.")
    header, kb_claims, message, signature = _jwt(kb_jwt, "key binding JWT")
    if header.get("typ") != "kb+jwt" or not _verify(holder, header, message, signature):
        raise MandateError("mandate_invalid_signature", "The key binding signature is not valid.")
    expected = signing.b64url(hashlib.sha256(presentation.encode()).digest())
    if kb_claims.get("sd_hash") != expected:
        raise MandateError(
            "mandate_invalid_signature", "The key binding is not over this presentation."
        )
    issued = kb_claims.get("iat")
    if not isinstance(issued, int | float) or issued > now + LEEWAY_SECONDS:
        raise MandateError("mandate_invalid_signature", "The key binding has no valid iat.")


def verify_mandate(
    settings: Settings,
    mandate: str,
    platform_keys: Sequence[dict[str, Any]],
    session: dict[str, Any],
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """The checkout an ``ap2.checkout_mandate`` approves, once every check holds
    against the session's current UCP shape ``session``; else :class:`MandateError`."""
    moment = time.time() if now is None else now
    if len(mandate) > MAX_MANDATE_CHARS or "~" not in mandate:
        raise MandateError("mandate_invalid_signature", "The mandate is not an SD-JWT+kb.")
    segments = mandate.split("~")
    issuer_jwt, kb_jwt = segments[0], segments[-1]
    header, claims, message, signature = _jwt(issuer_jwt, "mandate")
    key = _platform_key(platform_keys, header.get("kid"))
    if not _verify(key, header, message, signature):
        raise MandateError("mandate_invalid_signature", "The mandate signature is not valid.")
    if claims.get("_sd_alg", "sha-256") != "sha-256":
        raise MandateError("mandate_invalid_signature", "Only sha-256 disclosures are accepted.")
    _key_binding(mandate[: len(mandate) - len(kb_jwt)], kb_jwt, claims, moment)
    expires = claims.get("exp")
    if isinstance(expires, int | float) and not isinstance(expires, bool):
        if expires + LEEWAY_SECONDS < moment:
            raise MandateError("mandate_expired", "The mandate has expired.")
    elif expires is not None:
        raise MandateError("mandate_invalid_signature", "The mandate's exp is not a number.")
    try:
        disclosed = _disclose(claims, _disclosures(segments[1:-1]))
        checkout = disclosed.get("checkout")
        if not isinstance(checkout, dict):
            raise MandateError("mandate_scope_mismatch", "The mandate carries no checkout.")
        check_authorization(settings, checkout)
    except RecursionError as exc:
        raise MandateError(
            "mandate_invalid_signature", "The mandate is nested too deeply."
        ) from exc
    for term in TERMS:
        if checkout.get(term) != session.get(term):
            raise MandateError(
                "mandate_scope_mismatch",
                f"The mandate is bound to other terms ({term}) than this checkout's.",
            )
    return checkout


def check_authorization(settings: Settings, checkout: dict[str, Any]) -> None:
    """The checkout's ``ap2.merchant_authorization`` is our signature over the rest."""
    ap2 = checkout.get("ap2")
    jws = ap2.get("merchant_authorization") if isinstance(ap2, dict) else None
    if not isinstance(jws, str) or not jws:
        raise MandateError(
            "merchant_authorization_missing",
            "The mandate's checkout has no ap2.merchant_authorization.",
        )
    payload = {k: v for k, v in checkout.items() if k != "ap2"}
    try:
        valid = signing.verify_document(settings, jws, payload)
    except (TypeError, ValueError):  # not JSON JCS can write (a lone surrogate, NaN)
        valid = False
    if not valid:
        raise MandateError(
            "merchant_authorization_invalid",
            "The mandate's checkout is not signed by this business as it stands.",
        )
