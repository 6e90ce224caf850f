"""The one way the product calls a URL a user gave (alert webhooks today; remote endpoints and
mirrors later): requests to the server's own networks are refused (SSRF).

- http and https only, no credentials in the URL;
- the host is resolved once; every address it resolves to must be public: private,
  loopback, link-local (169.254.169.254, the cloud metadata service), multicast, reserved,
  unspecified and other non-global addresses are refused, IPv4-mapped IPv6 judged as the
  IPv4 address it carries, unless staff allowed the host or its network
  (`SLOUGHGPT_OUTBOUND_ALLOW`, settings/outbound.py);
- the connection goes to the address that was checked, never to a second lookup of the name
  (DNS rebinding), while the Host header and TLS's SNI and certificate check use the name;
- redirects are answered, not followed (a public URL may redirect to a private one);
- a deadline bounds the whole exchange and the response body has a size cap.

Everything that goes wrong raises `OutboundError`, whose message says why in the user's
terms ("address 10.0.0.5 is private"); `OutboundRefused`, its kind for a URL refused as it
is, before any connection."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = {"http": 80, "https": 443}
# How a response body is read: in chunks, so the size cap and the deadline hold between them.
_CHUNK = 64 * 1024


class OutboundError(Exception):
    """A user-given URL was refused or could not be reached; the message says why."""


class OutboundRefused(OutboundError):
    """The URL itself is refused (scheme, credentials, a non-public address): trying it again
    will not help, unlike a timeout."""


@dataclass(frozen=True)
class Target:
    """A URL that passed the checks, with the one address the request will go to."""

    scheme: str
    host: str  # the name as the URL gave it (for Host and SNI)
    port: int
    path: str  # path and query string
    address: str


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def _judged(address: Address) -> Address:
    """The address whose kind decides: an IPv4-mapped IPv6 address is the IPv4 one it carries."""
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped if mapped is not None else address


def _refusal(address: Address) -> str | None:
    """Why `address` is not public, or None if it is."""
    for reason, test in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                         ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                         ("private", address.is_private), ("reserved", address.is_reserved)):
        if test:
            return reason
    return None if address.is_global else "not a public address"


def _allowed(host: str, address: Address) -> bool:
    """Whether staff allowed this host name, or a network holding this address (an
    IPv4-mapped address is in the IPv4 networks its IPv4 address is in)."""
    for entry in settings.SLOUGHGPT_OUTBOUND_ALLOW:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if entry.lower().rstrip(".") == host:
                return True
            continue
        if address in network or _judged(address) in network:
            return True
    return False


def _resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to: one lookup, whose answer the request then uses."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundError(f"host {host} does not resolve") from None
    # Zone ids ("fe80::1%eth0") are dropped: the address alone decides.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def outbound_check(url: str) -> Target:
    """The checked target of `url`, or OutboundError saying why it is refused. Called when a
    URL is saved (so the user hears at once) and again right before each request (a name's
    addresses change)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"the URL is malformed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise OutboundRefused("only http and https URLs are allowed")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("credentials in the URL are not allowed")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundRefused("the URL has no host")
    port = port or SCHEMES[scheme]
    addresses = _resolve(host, port)
    if not addresses:
        raise OutboundError(f"host {host} does not resolve")
    for address in addresses:
        reason = _refusal(_judged(address))
        if reason is not None and not _allowed(host, address):
            raise OutboundRefused(f"address {_judged(address)} is {reason}")
    path = parts.path or "/"
    return Target(scheme=scheme, host=host, port=port, path=f"{path}?{parts.query}" if parts.query else path,
                  address=str(addresses[0]))


class _PinnedHTTPConnection(HTTPConnection):
    """Connects to the checked address; the Host header still names the URL's host."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(HTTPSConnection):
    """As above, with TLS: SNI and the certificate check use the URL's host."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.address = target.address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _read_body(response, *, deadline: float, max_bytes: int) -> bytes:
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise OutboundError("the response took too long")
        chunk = response.read(min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise OutboundError(f"the response is larger than {max_bytes} bytes")


def outbound_request(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                     timeout_s: float | None = None, max_response_bytes: int | None = None) -> OutboundResponse:
    """Sends one request to a user-given URL (checked first, see the module docstring) and
    returns its response, whatever its status: a redirect comes back as it is."""
    target = outbound_check(url)
    timeout_s = timeout_s or settings.SLOUGHGPT_OUTBOUND_TIMEOUT_S
    max_response_bytes = max_response_bytes or settings.SLOUGHGPT_OUTBOUND_MAX_RESPONSE_BYTES
    deadline = time.monotonic() + timeout_s
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout_s)
    try:
        connection.request(method, target.path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = _read_body(response, deadline=deadline, max_bytes=max_response_bytes)
        return OutboundResponse(status=response.status, headers=dict(response.getheaders()), body=data)
    except TimeoutError:
        raise OutboundError(f"{target.host} did not answer within {timeout_s:g} s") from None
    except ssl.SSLError as exc:
        raise OutboundError(f"TLS with {target.host} failed ({exc.reason or exc})") from None
    except (OSError, HTTPException) as exc:
        raise OutboundError(f"{target.host} could not be reached ({type(exc).__name__})") from None
    finally:
        connection.close()
