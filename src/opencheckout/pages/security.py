"""The hosted page's defences: CSRF tokens, response headers and redirect targets.

**Secret key.** CSRF tokens are HMACs under ``OPENCHECKOUT_SECRET_KEY``. When
it is unset, a random key is generated once and kept in a file readable only
by its owner: next to the SQLite database (``opencheckout.db.secret``), or for
other databases in ``$XDG_DATA_HOME/opencheckout/secret_key`` (default
``~/.local/share``). Processes on one host share it; several hosts must set
``OPENCHECKOUT_SECRET_KEY`` to the same value.

**CSRF.** Signed double submit: a random nonce in an HttpOnly, SameSite=Lax
cookie scoped to the session's path, and in the form ``HMAC(key, token,
nonce)``. A POST needs both, and an ``Origin`` header, when the browser sends
one, must be ours (``null``, sent by some privacy settings, is let through).
The permalink token itself is also a secret the attacker would need.

**Redirects.** Only to the session's stored ``success_url``/``cancel_url``
(validated absolute http(s) when the merchant set them), never to a URL taken
from the request.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from opencheckout.config import Settings
from opencheckout.domain.urls import idna_url

CSRF_COOKIE = "oc_csrf"
CSRF_FIELD = "csrf_token"
_KEY_BYTES = 32


def default_secret_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_name(Path(url.database).name + ".secret")
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "opencheckout" / "secret_key"


def load_or_create_secret(path: Path) -> bytes:
    """The key in ``path``, creating it atomically (0600) if it does not exist yet."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(_KEY_BYTES) + "\n")
        # link() fails if another process won the race: then its key is the key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    value = path.read_text().strip()
    if len(value) < 32:
        raise ValueError(f"The secret key in {path} is too short; delete it to regenerate.")
    return value.encode()


def resolve_secret_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    return load_or_create_secret(default_secret_path(settings.database_url))


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(key: bytes, token: str, nonce: str) -> str:
    message = b"opencheckout-csrf\x00" + token.encode() + b"\x00" + nonce.encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_valid(key: bytes, token: str, nonce: str | None, submitted: str | None) -> bool:
    if not nonce or not submitted or len(nonce) > 64 or len(submitted) > 64:
        return False
    return hmac.compare_digest(csrf_token(key, token, nonce), submitted)


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL (host in IDNA form), else None.

    IDNA here too, not only at validation: a URL stored before hosts were
    normalized must not put non-Latin-1 text into a response header."""
    try:
        parts = urlsplit(idna_url(url))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.netloc.isascii():
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def safe_redirect_target(url: str | None) -> str | None:
    """A stored merchant URL, re-checked before use (absolute http(s), no control chars)."""
    if not url or origin_of(url) is None:
        return None
    if any(ord(char) < 0x20 or char in "\\" for char in url):
        return None
    return url


def success_target(success_url: str | None, checkout_id: str) -> str | None:
    """``success_url`` with ``{CHECKOUT_ID}`` (or its percent-encoded form) filled in."""
    target = safe_redirect_target(success_url)
    if target is None:
        return None
    return target.replace("{CHECKOUT_ID}", checkout_id).replace("%7BCHECKOUT_ID%7D", checkout_id)


#: Where Stripe.js opens its frames (card element, 3-D Secure) besides its own origin.
STRIPE_FRAME_ORIGINS = ("https://hooks.stripe.com",)
STRIPE_API_ORIGIN = "https://api.stripe.com"


def content_security_policy(
    form_targets: list[str | None], *, stripe_js_url: str | None = None
) -> str:
    """Scripts and styles from our origin only; forms may post here and (through the
    redirect that follows a payment or a cancel) land on the merchant's origins.

    A page with Stripe card entry also allows exactly Stripe.js's origin (script,
    frames, and its API calls) and Stripe's frames."""
    origins = sorted({o for o in (origin_of(t) for t in form_targets if t) if o})
    form_action = " ".join(["'self'", *origins])
    script = connect = "'self'"
    frames = ""
    stripe_origin = origin_of(stripe_js_url) if stripe_js_url else None
    if stripe_origin is not None:
        script = f"'self' {stripe_origin}"
        api = STRIPE_API_ORIGIN if stripe_origin == "https://js.stripe.com" else stripe_origin
        connect = " ".join(dict.fromkeys(["'self'", stripe_origin, api]))
        frames = "frame-src " + " ".join([stripe_origin, *STRIPE_FRAME_ORIGINS]) + "; "
    return (
        f"default-src 'none'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; {frames}form-action {form_action}; frame-ancestors 'none'; "
        "base-uri 'none'"
    )


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        # The permalink is a bearer secret: never send it to another origin in a
        # Referer (same-origin keeps the Origin header on our own form posts).
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
