"""The one way the product calls a URL a user gave (alert webhooks, remote model endpoints;
hub mirrors later): requests to the server's own networks are refused (SSRF).

- http and https only, no credentials in the URL, ports 80 and 443 only
  (`SLOUGHGPT_OUTBOUND_PORTS`) unless staff allowed the host or its network;
- the host is resolved once, within the deadline; every address it resolves to must be
  public: private, loopback, link-local (169.254.169.254, the cloud metadata service),
  multicast, reserved, unspecified, IPv6 site-local (fec0::/10) and other non-global
  addresses are refused, IPv4-mapped IPv6 and 6to4 (2002::/16) judged as the IPv4 address
  they carry and 6to4 refused even when that is public (a relay on the way may be ours),
  unless staff allowed the host or its network (`SLOUGHGPT_OUTBOUND_ALLOW`,
  settings/outbound.py);
- the connection goes to the address that was checked, never to a second lookup of the name
  (DNS rebinding), while the Host header and TLS's SNI and certificate check use the name;
- redirects are answered, not followed (a public URL may redirect to a private one);
- a deadline bounds the whole exchange (the lookup, connecting, TLS, sending, every read:
  at the deadline the socket is shut down, however slowly the server drips bytes) and the
  response body has a size cap.

`outbound_stream` is the same request for an answer read as it arrives (a remote model's
server-sent events): the server must complete a line (the headers first) within `idle_s`
of the last one, so a server dripping a byte at a time is cut off as if silent; the whole
exchange has its own deadline; the lines it yields have a size cap each and together; and
a reader's `should_stop` hangs up at once, from before the request is sent.

Everything that goes wrong raises `OutboundError`, whose message says why in the user's
terms ("address 10.0.0.5 is private"); `OutboundRefused`, its kind for a URL refused as it
is, before any connection."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    """The address whose kind decides: an IPv4-mapped or 6to4 IPv6 address is the IPv4 one it
    carries."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or address
    return address


def _refusal(address: Address) -> str | None:
    """Why `address` is not public, or None if it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "site-local"
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


def _getaddrinfo(host: str, port: int, timeout_s: float) -> list:
    """socket.getaddrinfo within `timeout_s`: the resolver has no timeout of its own, so it
    runs in a thread that is left behind (it ends when the resolver gives up) if it is late."""
    answer: dict = {}

    def lookup() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            answer["error"] = exc

    thread = threading.Thread(target=lookup, name="outbound-dns", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise OutboundError(f"host {host} did not resolve within {timeout_s:g} s")
    if "error" in answer:
        raise OutboundError(f"host {host} does not resolve")
    return answer["infos"]


def _resolve(host: str, port: int, timeout_s: float) -> list[Address]:
    """Every address `host` resolves to: one lookup, whose answer the request then uses."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    infos = _getaddrinfo(host, port, timeout_s)
    # Zone ids ("fe80::1%eth0") are dropped: the address alone decides.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def outbound_check(url: str, *, timeout_s: float | None = None) -> Target:
    """The checked target of `url`, or OutboundError saying why it is refused. Called when a
    URL is saved (so the user hears at once) and again right before each request (a name's
    addresses change); the lookup takes `timeout_s` at most."""
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
    addresses = _resolve(host, port, timeout_s or settings.SLOUGHGPT_OUTBOUND_TIMEOUT_S)
    if not addresses:
        raise OutboundError(f"host {host} does not resolve")
    for address in addresses:
        if _allowed(host, address):
            continue
        reason = _refusal(_judged(address))
        if reason is not None:
            raise OutboundRefused(f"address {_judged(address)} is {reason}")
        if isinstance(address, ipaddress.IPv6Address) and address.sixtofour is not None:
            raise OutboundRefused(f"address {address} is a 6to4 tunnel address")
        if port not in settings.SLOUGHGPT_OUTBOUND_PORTS:
            allowed = ", ".join(str(p) for p in settings.SLOUGHGPT_OUTBOUND_PORTS)
            raise OutboundRefused(f"port {port} is not allowed (only {allowed})")
    path = parts.path or "/"
    return Target(scheme=scheme, host=host, port=port, path=f"{path}?{parts.query}" if parts.query else path,
                  address=str(addresses[0]))


class _Deadline:
    """Shuts the connection's socket down when the deadline passes: a blocked connect, TLS
    handshake or read then returns at once, whatever the server does (a socket timeout alone
    bounds each read, not their sum)."""

    def __init__(self, seconds: float):
        self.expired = self.hung_up = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.expired or self.hung_up:  # while connecting: shut it as soon as it exists
                self._shut()

    def cancel(self) -> None:
        self._timer.cancel()

    def hang_up(self) -> None:
        """Shut the connection down now, as the deadline would (from any thread)."""
        with self._lock:
            self.hung_up = True
            self._shut()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed or never connected
                pass


def _connected(target: Target, timeout: float, deadline: _Deadline) -> socket.socket:
    sock = socket.create_connection((target.address, target.port), timeout)
    deadline.watch(sock)
    return sock


class _PinnedHTTPConnection(HTTPConnection):
    """Connects to the checked address; the Host header still names the URL's host."""

    def __init__(self, target: Target, timeout: float, deadline: _Deadline):
        super().__init__(target.host, target.port, timeout=timeout)
        self.target, self.deadline = target, deadline

    def connect(self):
        self.sock = _connected(self.target, self.timeout, self.deadline)


class _PinnedHTTPSConnection(HTTPSConnection):
    """As above, with TLS: SNI and the certificate check use the URL's host."""

    def __init__(self, target: Target, timeout: float, deadline: _Deadline):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.target, self.deadline = target, deadline

    def connect(self):
        sock = _connected(self.target, self.timeout, self.deadline)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _read_body(response, *, max_bytes: int) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = response.read1(min(_CHUNK, max_bytes + 1 - size))
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
    timeout_s = timeout_s or settings.SLOUGHGPT_OUTBOUND_TIMEOUT_S
    max_response_bytes = max_response_bytes or settings.SLOUGHGPT_OUTBOUND_MAX_RESPONSE_BYTES
    started = time.monotonic()
    target = outbound_check(url, timeout_s=timeout_s)
    remaining = max(timeout_s - (time.monotonic() - started), 0.001)
    deadline = _Deadline(remaining)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, remaining, deadline)
    late = OutboundError(f"{target.host} did not answer within {timeout_s:g} s")
    try:
        connection.request(method, target.path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = _read_body(response, max_bytes=max_response_bytes)
        if deadline.expired:  # the shut-down socket ended the body early
            raise late
        return OutboundResponse(status=response.status, headers=dict(response.getheaders()), body=data)
    except TimeoutError:
        raise late from None
    except ssl.SSLError as exc:
        if deadline.expired:
            raise late from None
        raise OutboundError(f"TLS with {target.host} failed ({exc.reason or exc})") from None
    except (OSError, HTTPException) as exc:
        if deadline.expired:
            raise late from None
        raise OutboundError(f"{target.host} could not be reached ({type(exc).__name__})") from None
    finally:
        deadline.cancel()
        connection.close()


WATCH_POLL_S = 0.25  # how soon a stream's watcher notices a stop or a stalled server


class OutboundStopped(OutboundError):
    """The reader's `should_stop` said so before the answer's headers came."""


class _Watchdog:
    """A stream's watcher thread, started before the request is sent. Every WATCH_POLL_S it
    asks the reader's `should_stop` (a stop hangs up at once, while connecting or waiting
    for headers too) and whether the server completed a line within `idle_s` of the last one
    (`progress`): time, not bytes, so a server dripping a byte at a time counts as silent."""

    def __init__(self, deadline: _Deadline, *, idle_s: float, should_stop: Callable[[], bool]):
        self.stopped = self.stalled = False
        self._deadline, self._idle_s, self._should_stop = deadline, idle_s, should_stop
        self._progress_at = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="outbound-watch", daemon=True)
        self._thread.start()

    def progress(self) -> None:
        self._progress_at = time.monotonic()

    def _watch(self) -> None:
        while not self._done.wait(WATCH_POLL_S):
            if self._should_stop():
                self.stopped = True
            elif time.monotonic() - self._progress_at > self._idle_s:
                self.stalled = True
            else:
                continue
            self._deadline.hang_up()
            return

    def close(self) -> None:
        self._done.set()
        self._thread.join()


class OutboundStream:
    """An answer being read (`outbound_stream`): its status and headers, and its body as lines."""

    def __init__(self, response, *, host: str, deadline: _Deadline, watchdog: _Watchdog, timeout_s: float,
                 idle_s: float, max_bytes: int, max_line_bytes: int):
        self.status: int = response.status
        self.headers: dict[str, str] = dict(response.getheaders())
        self._response, self._host, self._deadline, self._watchdog = response, host, deadline, watchdog
        self._timeout_s, self._idle_s = timeout_s, idle_s
        self._left, self._max_bytes, self._max_line = max_bytes, max_bytes, max_line_bytes

    @property
    def aborted(self) -> bool:
        """Whether the reader's `should_stop` hung up (`lines` then ended without an error)."""
        return self._watchdog.stopped

    def _failure(self, exc: BaseException) -> OutboundError:
        if self._deadline.expired:
            return OutboundError(f"{self._host} did not finish answering within {self._timeout_s:g} s")
        if self._watchdog.stalled:
            return OutboundError(f"{self._host} sent no complete line for {self._idle_s:g} s")
        if isinstance(exc, TimeoutError):
            return OutboundError(f"{self._host} sent nothing for {self._idle_s:g} s")
        return OutboundError(f"{self._host} broke off the answer ({type(exc).__name__})")

    def lines(self) -> Iterator[str]:
        """The body's lines (decoded as UTF-8, line ends removed) as they arrive; they end
        early, without an error, once `abort` was called."""
        while True:
            try:
                raw = self._response.readline(self._max_line + 1)
            except (OSError, HTTPException) as exc:
                if self.aborted:
                    return
                raise self._failure(exc) from None
            if self.aborted:
                return
            if self._deadline.expired or self._watchdog.stalled:  # the shut-down socket ended the body early
                raise self._failure(TimeoutError())
            if not raw:
                return
            self._watchdog.progress()
            if len(raw) > self._max_line and not raw.endswith(b"\n"):
                raise OutboundError(f"{self._host} sent a line longer than {self._max_line} bytes")
            self._left -= len(raw)
            if self._left < 0:
                raise OutboundError(f"{self._host} sent more than {self._max_bytes} bytes")
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")

    def read(self, max_bytes: int = 64 * 1024) -> bytes:
        """At most `max_bytes` of the body (an error's explanation), within the same limits;
        cut off by them or by a stop, the error says so rather than leaving a bare status."""
        try:
            data = self._response.read(max_bytes)
        except (OSError, HTTPException) as exc:
            raise self._failure(exc) from None
        if self._deadline.expired or self._watchdog.stalled:
            raise self._failure(TimeoutError())
        return data


@contextmanager
def outbound_stream(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                    timeout_s: float, idle_s: float, max_bytes: int, max_line_bytes: int = 64 * 1024,
                    should_stop: Callable[[], bool] = lambda: False) -> Iterator[OutboundStream]:
    """Sends one request to a user-given URL (checked first, see the module docstring) and
    gives its answer to read as it arrives: connecting and the answer's headers must come
    within `idle_s`, so must each later complete line, and everything within `timeout_s`;
    at most `max_bytes` of body, in lines of at most `max_line_bytes`. `should_stop` is
    asked every WATCH_POLL_S from before the request is sent: once it says so the
    connection is shut (OutboundStopped before the headers came; `lines` ends after).
    The connection closes when the block ends, however it ends."""
    started = time.monotonic()
    target = outbound_check(url, timeout_s=min(idle_s, timeout_s))
    remaining = max(timeout_s - (time.monotonic() - started), 0.001)
    deadline = _Deadline(remaining)
    watchdog = _Watchdog(deadline, idle_s=idle_s, should_stop=should_stop)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    # The watchdog enforces `idle_s`; the socket's own timeout is only a backstop behind it
    # (connecting, before there is a socket to shut).
    connection = kind(target, min(2 * idle_s, remaining), deadline)
    try:
        try:
            connection.request(method, target.path, body=body, headers=headers or {})
            response = connection.getresponse()
        except (OSError, HTTPException) as exc:  # TimeoutError and ssl.SSLError are OSErrors
            if watchdog.stopped:
                raise OutboundStopped(f"the request to {target.host} was stopped") from None
            if deadline.expired:
                raise OutboundError(f"{target.host} did not answer within {timeout_s:g} s") from None
            if watchdog.stalled or isinstance(exc, TimeoutError):
                raise OutboundError(f"{target.host} did not answer within {idle_s:g} s") from None
            if isinstance(exc, ssl.SSLError):
                raise OutboundError(f"TLS with {target.host} failed ({exc.reason or exc})") from None
            raise OutboundError(f"{target.host} could not be reached ({type(exc).__name__})") from None
        watchdog.progress()  # the headers are the first line
        yield OutboundStream(response, host=target.host, deadline=deadline, watchdog=watchdog, timeout_s=timeout_s,
                             idle_s=idle_s, max_bytes=max_bytes, max_line_bytes=max_line_bytes)
    finally:
        watchdog.close()
        deadline.cancel()
        connection.close()
