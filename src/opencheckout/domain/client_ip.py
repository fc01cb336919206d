"""Who is on the other end: the client address behind trusted proxies (pure).

``X-Forwarded-For`` is believed only when it comes from a configured trusted
proxy (``OPENCHECKOUT_TRUSTED_PROXIES``, addresses or CIDRs): walking the
chain from the right, every hop that is itself a trusted proxy is skipped and
the first one that is not is the client. Anything a client wrote further left
is never believed, and without trusted proxies the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Prefix lengths kept when addresses are anonymized.
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.1, 192.168.0.0/16, ::1"`` -> networks; ValueError names a bad entry."""
    networks: list[Network] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"OPENCHECKOUT_TRUSTED_PROXIES: '{entry}' is not an IP address or CIDR network."
            ) from exc
    return tuple(networks)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]
) -> str | None:
    """The client's address: the peer, unless the peer is a trusted proxy, in which
    case the right-most untrusted hop of ``X-Forwarded-For`` (all its header lines)."""
    address = _address(peer) if peer else None
    if address is None:
        return None
    if not trusted or not _trusted(address, trusted):
        return str(address)
    hops = [hop for line in forwarded_for for hop in line.split(",")]
    for hop in reversed(hops):
        candidate = _address(hop)
        if candidate is None:
            break  # a malformed hop: believe nothing further left
        if not _trusted(candidate, trusted):
            return str(candidate)
        address = candidate
    return str(address)


def anonymize(text: str) -> str:
    """The network prefix only: IPv4 /24 (``203.0.113.0``), IPv6 /48 (``2001:db8:1::``)."""
    address = ipaddress.ip_address(text)
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)
