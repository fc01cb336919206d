"""URL hosts in their IDNA (punycode) form.

A merchant may write ``https://магазин.example/thanks``; the hosted page puts
that origin into its Content-Security-Policy header, and HTTP headers are
Latin-1. So every stored URL carries its host as IDNA A-labels
(``xn--80aj2abdcii9c.example``), which is what browsers and DNS use anyway.
A host IDNA refuses, or a malformed ``xn--`` label, is not a URL we accept.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import idna


class HostInvalid(ValueError):
    """The URL's host is not a valid (internationalized) domain name."""


def _ascii_host(host: str) -> str:
    if host.startswith("["):
        return host  # an IPv6 literal
    if host.isascii():
        # Already ASCII: only check the labels that claim to be punycode.
        for label in host.split("."):
            if label.lower().startswith("xn--"):
                try:
                    idna.decode(label)
                except (idna.IDNAError, UnicodeError) as exc:
                    raise HostInvalid(f"'{label}' is not a valid IDNA label.") from exc
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise HostInvalid(f"'{host}' is not a valid internationalized domain name.") from exc


def idna_url(url: str) -> str:
    """``url`` with its host in IDNA A-labels; :class:`HostInvalid` if it has none."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, port = hostport, ""
    if (not hostport.startswith("[") and ":" in hostport) or (
        hostport.startswith("[") and "]:" in hostport
    ):
        host, _colon, port = hostport.rpartition(":")
    if not host:
        raise HostInvalid("The URL has no host.")
    ascii_host = _ascii_host(host)
    if ascii_host == host:
        return url
    netloc = f"{userinfo}{at}{ascii_host}{':' + port if port else ''}"
    return urlunsplit(parts._replace(netloc=netloc))
