"""Keep webhook deliveries away from our own network (server-side request forgery).

Merchants choose the URLs we POST to, so without a guard a URL could make the
worker reach the cloud metadata service, a database admin page or anything
else only reachable from inside. Two layers:

* :func:`validate_endpoint_url` refuses obviously bad URLs when an endpoint
  is registered (IP literals and ``localhost``), with a clear error.
* :func:`make_client` returns a client whose connections resolve the host
  themselves, check *every* address and connect to a checked IP. A check done
  only at registration is useless against DNS that changes afterwards (or
  between our check and the connect: DNS rebinding), so the connect-time check
  is the one that actually protects; hostnames are only ever judged there.

``allow_private`` turns the address checks off, for self-hosters whose
receivers live on their own network (and for tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Iterable

import httpcore
import httpx

from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.urls import HostInvalid, idna_url

MAX_URL_LENGTH = 2048
ALLOWED_SCHEMES = frozenset({"http", "https"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Every range of the IANA IPv4 and IPv6 Special-Purpose Address Registries
#: (RFC 6890 and its updates, as of 2026), plus multicast, IPv6 site-local and the
#: deprecated IPv4-compatible block, which the registries leave to other RFCs.
#: Refused as a whole, including the few entries the registries call globally
#: reachable (AS112 sinks, AMT relays, ORCHID, NAT64): none is a place a merchant's
#: receiver lives, and several forward traffic somewhere else. Python's
#: ``is_global`` is only a second opinion: it calls 192.0.0.8 global, for one.
SPECIAL_PURPOSE_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "this network (RFC 791)"),
    ("10.0.0.0/8", "private use (RFC 1918)"),
    ("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link local, cloud metadata (RFC 3927)"),
    ("172.16.0.0/12", "private use (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation, TEST-NET-1 (RFC 5737)"),
    ("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
    ("192.52.193.0/24", "AMT (RFC 7450)"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private use (RFC 1918)"),
    ("192.175.48.0/24", "direct delegation AS112 service (RFC 7534)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation, TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation, TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
    ("255.255.255.255/32", "limited broadcast (RFC 919)"),
    ("::/96", "unspecified, loopback, deprecated IPv4-compatible (RFC 4291)"),
    ("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
    ("64:ff9b::/96", "IPv4-IPv6 translation, NAT64 (RFC 6052)"),
    ("64:ff9b:1::/48", "local-use IPv4-IPv6 translation (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("100:0:0:1::/64", "dummy IPv6 prefix (RFC 9780)"),
    ("2001::/23", "IETF protocol assignments: Teredo, benchmarking, AMT, ORCHID (RFC 2928)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("2002::/16", "6to4 (RFC 3056)"),
    ("2620:4f:8000::/48", "direct delegation AS112 service (RFC 7534)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "segment routing SIDs (RFC 9602)"),
    ("fc00::/7", "unique local (RFC 4193)"),
    ("fe80::/10", "link-local unicast (RFC 4291)"),
    ("fec0::/10", "deprecated site-local (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
)
_SPECIAL_V4 = tuple(
    net
    for net in (ipaddress.ip_network(cidr) for cidr, _ in SPECIAL_PURPOSE_RANGES)
    if isinstance(net, ipaddress.IPv4Network)
)
_SPECIAL_V6 = tuple(
    net
    for net in (ipaddress.ip_network(cidr) for cidr, _ in SPECIAL_PURPOSE_RANGES)
    if isinstance(net, ipaddress.IPv6Network)
)
#: What every refusal tells a developer whose receiver runs on their own machine.
ALLOW_PRIVATE_HINT = "set OPENCHECKOUT_WEBHOOKS_ALLOW_PRIVATE=1 for local development"
#: Hostnames after IDNA encoding: letters, digits, hyphens, underscores, dots.
_HOSTNAME = re.compile(r"^[a-z0-9_.-]+$")
#: A last label like ``1`` or ``0x7f`` makes the host a legacy IPv4 form
#: (``127.1``, ``2130706433``, ``0x7f.0.0.1``) that resolvers turn into an IP.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class BlockedAddress(Exception):
    """A host resolved to an address deliveries may not reach.

    Deliberately not an ``OSError`` nor an httpx error: it escapes httpx
    unchanged, so callers can tell "refused by policy" from "network failed".
    """

    def __init__(self, host: str, addresses: Iterable[str]) -> None:
        self.host = host
        self.addresses = tuple(addresses)
        super().__init__(
            f"{host} resolves to a special-purpose (private, loopback or reserved) "
            f"address; {ALLOW_PRIVATE_HINT}"
        )


def is_public_address(address: IPAddress) -> bool:
    """True unless the address is in a special-purpose range (or Python thinks it
    is not global: a second opinion, should the table above ever fall behind)."""
    if isinstance(address, ipaddress.IPv4Address):
        special = any(address in net for net in _SPECIAL_V4)
    else:
        special = any(address in net for net in _SPECIAL_V6)
    return not special and address.is_global


def _invalid(message: str) -> InvalidValue:
    return InvalidValue(message, code="url_invalid", param="url")


def _not_allowed(message: str) -> InvalidValue:
    return InvalidValue(message, code="url_not_allowed", param="url")


def _check_host(host: str) -> None:
    """Refuse IP literals that are not public, and the ``localhost`` names."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if not is_public_address(address):
            raise _not_allowed(
                "The URL points to a special-purpose (private, loopback or reserved) "
                f"address, which webhooks may not reach; {ALLOW_PRIVATE_HINT}."
            )
        return
    name = host.rstrip(".")
    if not _HOSTNAME.match(name) or ".." in name:
        raise _invalid("The URL's host is not a valid hostname.")
    if _NUMERIC_LABEL.match(name.rsplit(".", 1)[-1]):
        raise _invalid("Write an IP address as four decimal numbers, like 203.0.113.7.")
    if name == "localhost" or name.endswith(".localhost"):
        raise _not_allowed(f"The URL points to localhost; {ALLOW_PRIVATE_HINT}.")


def validate_endpoint_url(url: str, *, allow_private: bool) -> str:
    """Check a merchant's endpoint URL and return it normalised (as httpx sends it).

    Hostnames are not resolved here: DNS can change after registration, so
    that check belongs to connect time (see :func:`make_client`).
    """
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        # IDNA first: httpx only checks xn-- labels lazily, deep inside a request.
        parsed = httpx.URL(idna_url(url))
    except HostInvalid as exc:
        raise _invalid(f"The URL's host is not valid: {exc}") from exc
    except (httpx.InvalidURL, ValueError) as exc:
        raise _invalid("The URL could not be parsed.") from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise _invalid("The URL must start with https:// or http://.")
    if not parsed.host:
        raise _invalid("The URL has no host.")
    if parsed.userinfo:
        raise _invalid("The URL must not contain a username or password.")
    if not allow_private:
        _check_host(parsed.host)
    return str(parsed)


def _parse(address: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


async def resolve_public(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Resolve ``host`` and return its addresses, all of them checked.

    One bad address is enough to refuse: connection attempts may use any of
    them, so "first one public" would still let a crafted DNS answer through.
    Resolution failures propagate as ``OSError`` (``socket.gaierror``).
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise OSError(f"no addresses found for {host}")
    if not allow_private:
        blocked = [a for a in addresses if (ip := _parse(a)) is None or not is_public_address(ip)]
        if blocked:
            raise BlockedAddress(host, blocked)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that checks addresses when connecting.

    httpcore asks the backend for a TCP stream to ``host:port``; TLS (SNI and
    certificate checks against the hostname) and the Host header are handled
    above it, so connecting to the checked IP instead of the name changes
    nothing else. Requires asyncio (it uses the loop's resolver).
    """

    def __init__(
        self, *, allow_private: bool, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._allow_private = allow_private
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve_public(host, port, allow_private=self._allow_private)
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            raise httpcore.ConnectTimeout(f"timed out resolving {host}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from exc
        options = list(socket_options or ())
        error: httpcore.ConnectError | None = None
        for address in addresses:  # in resolver order, like a plain connect
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=options,
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no addresses to connect to for {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed for webhook deliveries")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool on a :class:`GuardedBackend`.

    httpx 0.28 has no parameter for the network backend (encode/httpx#3749 is
    adding one), so the pool it built is replaced by an equivalent one; the
    rest (exception mapping, streaming) stays httpx's. Environment proxies are
    ignored: a proxy would resolve the host itself, past our check.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private),
        )


def make_client(*, allow_private: bool, timeout: float) -> httpx.AsyncClient:
    """The client deliveries go through: guarded connections, no redirects.

    Following a redirect would let an endpoint bounce us to another URL
    nobody validated; a 3xx simply counts as a failed attempt.
    """
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_private=allow_private),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )
