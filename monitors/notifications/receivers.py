"""Which addresses a webhook may reach: public ones, plus the private networks a
deployment allows. Checked when a URL is registered and again at every delivery, on the
very address that is then connected to, so a name that resolves differently later (DNS
rebinding) cannot steer a notification into the internal network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from core.errors import InvalidValue

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ReceiverPolicy:
    """Private networks this deployment lets webhooks reach (none by default)."""

    allowed_networks: tuple[IPNetwork, ...] = field(default=())

    @classmethod
    def allowing(cls, networks: Iterable[str]) -> ReceiverPolicy:
        """A policy from CIDR strings such as ``10.20.0.0/16`` (ValueError on a bad one)."""
        return cls(tuple(ipaddress.ip_network(network, strict=False) for network in networks))

    def permits(self, address: IPAddress) -> bool:
        """True for a public address or one inside an allowed network."""
        plain = _unmapped(address)
        if any(plain in network or address in network for network in self.allowed_networks):
            return True
        return plain.is_global and not (
            plain.is_multicast
            or plain.is_reserved
            or plain.is_unspecified
            or plain.is_loopback
            or plain.is_link_local
            or plain.is_private
        )


class ReceiverRefused(httpx.TransportError):
    """A delivery refused before connecting: the receiver's address is not allowed."""


def _unmapped(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped or 6to4 IPv6 address, else ``address``."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or address
    return address


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one in any spelling a resolver accepts
    (dotted, integer ``2130706433``, hex ``0x7f000001``, octal ``0177.0.0.1``, short
    ``127.1``, IPv6 with or without brackets), else None for a name."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for (itself when a literal); socket.gaierror when
    the name does not resolve."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(entry[4][0]) for entry in found))


def checked_addresses(host: str, port: int, policy: ReceiverPolicy) -> list[IPAddress]:
    """The addresses of ``host``, each allowed by ``policy``; InvalidValue when any is not
    (a resolver may hand out any of them)."""
    addresses = resolve(host, port)
    if not addresses or not all(policy.permits(address) for address in addresses):
        raise InvalidValue(
            "must not point at a loopback, private, link-local, multicast or reserved address"
        )
    return addresses


def check_receiver_url(url: str, policy: ReceiverPolicy) -> None:
    """Refuse a URL whose host is, or resolves to, an address ``policy`` does not allow.
    A name that does not resolve yet is let in: every delivery checks it again."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        checked_addresses(host, port, policy)
    except (socket.gaierror, UnicodeError):
        return


class PinnedTransport(httpx.BaseTransport):
    """Resolves each request's host, checks every address, and connects to the checked
    one (the name still goes in the Host header and as TLS server name), so nothing
    resolved after the check can change where the request goes."""

    def __init__(self, policy: ReceiverPolicy, inner: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            address = checked_addresses(host, port, self.policy)[0]
        except InvalidValue as refusal:
            raise ReceiverRefused(f"receiver address refused: {refusal.text}") from None
        except (socket.gaierror, UnicodeError) as failure:
            raise httpx.ConnectError("the receiver's name does not resolve") from failure
        request.url = request.url.copy_with(host=str(address))
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
