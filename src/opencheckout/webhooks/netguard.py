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

MAX_URL_LENGTH = 2048
ALLOWED_SCHEMES = frozenset({"http", "https"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
#: The well-known NAT64 prefix: a gateway there forwards to the embedded IPv4.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
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
        super().__init__(f"{host} resolves to a non-public address")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for, if it is a translation form."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True if the address is globally routable unicast.

    The ``is_*`` properties are listed one by one rather than trusting
    ``is_global`` alone: it says True for multicast and, on 3.11, for IPv6
    site-local, and its tables have changed between Python releases.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        if address.is_site_local:
            return False
    elif address in _CGNAT:
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


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
            raise _not_allowed("The URL points to a private, loopback or reserved address.")
        return
    name = host.rstrip(".")
    if not _HOSTNAME.match(name) or ".." in name:
        raise _invalid("The URL's host is not a valid hostname.")
    if _NUMERIC_LABEL.match(name.rsplit(".", 1)[-1]):
        raise _invalid("Write an IP address as four decimal numbers, like 203.0.113.7.")
    if name == "localhost" or name.endswith(".localhost"):
        raise _not_allowed("The URL points to localhost.")


def validate_endpoint_url(url: str, *, allow_private: bool) -> str:
    """Check a merchant's endpoint URL and return it normalised (as httpx sends it).

    Hostnames are not resolved here: DNS can change after registration, so
    that check belongs to connect time (see :func:`make_client`).
    """
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parsed = httpx.URL(url)
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
