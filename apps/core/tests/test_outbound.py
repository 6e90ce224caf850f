"""Requests to user-given URLs refuse the server's own networks before any connection is
made, unless staff allowed them, and reach what is allowed at the address that was checked."""

import socket
import threading
import time

import pytest

from apps.core import outbound
from apps.core.outbound import (
    OutboundError,
    OutboundRefused,
    OutboundStopped,
    outbound_check,
    outbound_request,
    outbound_stream,
)
from tests.http_receiver import http_receiver


@pytest.fixture
def no_connections(monkeypatch):
    """Fails the test if anything opens a connection (a socket-level guard)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def resolve_as(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    """Makes names resolve as `answers` say (no real DNS); returns the names looked up."""
    looked_up, real = [], socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        looked_up.append(host)
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return looked_up


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1/hook", "address 127.0.0.1 is loopback"),
    ("http://10.0.0.5:8080/hook", "address 10.0.0.5 is private"),
    ("http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is link-local"),
    ("http://[::1]/hook", "address ::1 is loopback"),
    ("https://[::ffff:10.0.0.5]/hook", "address 10.0.0.5 is private"),
    ("http://0.0.0.0/", "address 0.0.0.0 is unspecified"),
    ("http://100.64.0.1/", "address 100.64.0.1 is not a public address"),
    ("http://sneaky.example/hook", "address 127.0.0.1 is loopback"),
    ("http://mixed.example/hook", "address 10.1.2.3 is private"),
    ("file:///etc/passwd", "only http and https URLs are allowed"),
    ("http://user:secret@93.184.216.34/", "credentials in the URL are not allowed"),
    ("http://[2002:a9fe:a9fe::]/", "address 169.254.169.254 is link-local"),
    ("http://[2002:5db8:d822::1]/", "address 2002:5db8:d822::1 is a 6to4 tunnel address"),
    ("http://[fec0::1]/", "address fec0::1 is site-local"),
    ("http://93.184.216.34:25/", "port 25 is not allowed (only 80, 443)"),
    ("https://public.example:6379/", "port 6379 is not allowed (only 80, 443)"),
])
def test_a_url_into_the_servers_own_networks_is_refused_before_any_connection(
        url, why, settings, monkeypatch, no_connections):
    # given nothing allowed beyond the public internet, and names that resolve inward
    settings.SLOUGHGPT_OUTBOUND_ALLOW = []
    resolve_as(monkeypatch, {"sneaky.example": ["127.0.0.1"], "mixed.example": ["93.184.216.34", "10.1.2.3"],
                             "public.example": ["93.184.216.34"]})
    # when / then: refused with the reason, and no connection was attempted (the guard)
    with pytest.raises(OutboundRefused) as refused:
        outbound_request("POST", url, body=b"{}")
    assert str(refused.value) == why


def test_staff_allowing_a_network_lets_a_request_reach_a_receiver_there(settings):
    # given a receiver on loopback, which staff allowed
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    with http_receiver(201) as receiver:
        # when
        response = outbound_request("POST", receiver.url + "?x=1", body=b'{"a": 1}',
                                    headers={"Content-Type": "application/json"})
    # then
    assert response.status == 201
    assert [(r.method, r.path, r.body) for r in receiver.requests] == [("POST", "/hook?x=1", b'{"a": 1}')]


def test_an_allowed_name_is_resolved_once_and_the_request_goes_to_that_address(settings, monkeypatch):
    # given a name staff allowed, resolving to the receiver's loopback address
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["hooks.internal.example"]
    looked_up = resolve_as(monkeypatch, {"hooks.internal.example": ["127.0.0.1"]})
    with http_receiver() as receiver:
        # when
        response = outbound_request("POST", f"http://hooks.internal.example:{receiver.port}/hook", body=b"{}")
    # then: one lookup (the connection used its answer), and the Host header names the name
    assert response.status == 200
    assert looked_up == ["hooks.internal.example"]
    assert receiver.requests[0].headers["Host"] == f"hooks.internal.example:{receiver.port}"


def test_the_same_address_without_the_allowance_is_refused(settings, monkeypatch, no_connections):
    # given the allow-list names another host
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["hooks.internal.example", "192.168.0.0/16"]
    resolve_as(monkeypatch, {"other.example": ["127.0.0.1"]})
    # when / then
    with pytest.raises(OutboundError, match="address 127.0.0.1 is loopback"):
        outbound_check("http://other.example/")


def test_a_redirect_is_answered_not_followed(settings):
    # given an allowed receiver that redirects to the metadata service
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    with http_receiver(302, headers={"Location": "http://169.254.169.254/latest/"}) as receiver:
        # when
        response = outbound_request("GET", receiver.url)
    # then: the redirect comes back as it is; only the one request was sent
    assert response.status == 302
    assert len(receiver.requests) == 1


def test_a_response_over_the_size_cap_fails(settings):
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    with http_receiver(body=b"x" * 5000) as receiver:
        with pytest.raises(OutboundError, match="larger than 1000 bytes"):
            outbound_request("GET", receiver.url, max_response_bytes=1000)


def test_a_receiver_that_never_answers_times_out(settings):
    # given a port that accepts connections but never answers
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        # when / then
        with pytest.raises(OutboundError, match="did not answer within"):
            outbound_request("POST", f"http://127.0.0.1:{port}/", body=b"{}", timeout_s=0.5)


def test_a_name_that_does_not_resolve_is_named(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("no such host")

    monkeypatch.setattr(outbound.socket, "getaddrinfo", fail)
    with pytest.raises(OutboundError, match="host nowhere.example does not resolve"):
        outbound_check("https://nowhere.example/hook")


def slow_drip_server(*, head: bytes, interval_s: float):
    """A server on 127.0.0.1 that sends `head` at once, then one byte every `interval_s`,
    forever (each read is quick, the whole answer never ends); returns (port, stop)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stopped = threading.Event()

    def serve():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(head)
                while not stopped.wait(interval_s):
                    connection.sendall(b"x")
            except OSError:  # the client hung up: what the test wants
                pass

    threading.Thread(target=serve, daemon=True).start()

    def stop():
        stopped.set()
        listener.close()

    return listener.getsockname()[1], stop


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n",  # a body dripping in
    b"HTTP/1.1 200 OK\r\nX-Slow: ",  # headers that never end
])
def test_a_server_dripping_its_answer_a_byte_at_a_time_is_cut_off_at_the_deadline(head, settings):
    # given an allowed server whose every byte comes well within the deadline, but whose
    # answer would take far longer than it
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    port, stop = slow_drip_server(head=head, interval_s=0.2)
    try:
        started = time.monotonic()
        # when / then: the request fails as late, soon after its deadline (a generous bound)
        with pytest.raises(OutboundError, match="did not answer within 1 s"):
            outbound_request("GET", f"http://127.0.0.1:{port}/", timeout_s=1)
        assert time.monotonic() - started < 3
    finally:
        stop()


def test_a_lookup_that_hangs_fails_within_the_deadline(monkeypatch):
    # given a resolver that never answers
    hang = threading.Event()
    monkeypatch.setattr(outbound.socket, "getaddrinfo", lambda *args, **kwargs: hang.wait(30))
    try:
        # when / then
        with pytest.raises(OutboundError, match="did not resolve within 0.5 s"):
            outbound_request("POST", "https://slow-dns.example/hook", timeout_s=0.5)
    finally:
        hang.set()


def scripted_server(steps: list[bytes | float]):
    """A server on 127.0.0.1 that answers one request with `steps`: bytes are sent, a number
    is a pause of that many seconds; it then closes. Returns (port, stop)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stopped = threading.Event()

    def serve():
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            try:
                for step in steps:
                    if isinstance(step, bytes):
                        connection.sendall(step)
                    elif stopped.wait(step):
                        return
                # End the answer, then read until the client hangs up: closing with part of
                # its request unread would reset the connection before it read the answer.
                connection.shutdown(socket.SHUT_WR)
                connection.settimeout(5)
                while connection.recv(65536):
                    pass
            except OSError:  # the client hung up
                pass

    threading.Thread(target=serve, daemon=True).start()

    def stop():
        stopped.set()
        listener.close()

    return listener.getsockname()[1], stop


STREAM_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"


def _read_stream(port: int, **limits) -> list[str]:
    options = {"timeout_s": 10, "idle_s": 5, "max_bytes": 1 << 20, **limits}
    with outbound_stream("POST", f"http://127.0.0.1:{port}/v1/chat/completions", body=b"{}", **options) as answer:
        return [line for line in answer.lines() if line]


def test_a_stream_yields_its_lines_as_they_arrive(settings):
    # given an allowed server sending two events with a pause between them
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    port, stop = scripted_server([STREAM_HEAD, b"data: one\n\n", 0.3, b"data: two\r\n\r\n"])
    try:
        # when
        lines = _read_stream(port)
    finally:
        stop()
    # then
    assert lines == ["data: one", "data: two"]


def test_a_stream_that_goes_quiet_fails_after_the_idle_time(settings):
    # given a server that sends one event, then nothing for far longer than the idle time
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    port, stop = scripted_server([STREAM_HEAD, b"data: one\n\n", 30.0])
    try:
        # when / then
        with pytest.raises(OutboundError, match="127.0.0.1 sent no complete line for 0.5 s"):
            _read_stream(port, idle_s=0.5)
    finally:
        stop()


def test_a_stream_that_never_ends_is_cut_off_at_its_deadline(settings):
    # given a server that drips bytes well within the idle time, forever
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    port, stop = slow_drip_server(head=STREAM_HEAD, interval_s=0.1)
    try:
        # when / then
        with pytest.raises(OutboundError, match="did not finish answering within 1 s"):
            _read_stream(port, timeout_s=1, idle_s=5)
    finally:
        stop()


def test_a_stream_over_its_caps_fails(settings):
    # given a server sending one endless line, and one sending many short ones
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    long_port, stop_long = scripted_server([STREAM_HEAD, b"x" * 5000])
    many_port, stop_many = scripted_server([STREAM_HEAD, b"data: x\n" * 1000])
    try:
        # when / then
        with pytest.raises(OutboundError, match="a line longer than 1000 bytes"):
            _read_stream(long_port, max_line_bytes=1000)
        with pytest.raises(OutboundError, match="sent more than 2000 bytes"):
            _read_stream(many_port, max_bytes=2000)
    finally:
        stop_long()
        stop_many()


def test_a_stream_into_loopback_is_refused_before_any_connection(settings, no_connections):
    # given nothing allowed beyond the public internet
    settings.SLOUGHGPT_OUTBOUND_ALLOW = []
    # when / then
    with pytest.raises(OutboundRefused, match="address 127.0.0.1 is loopback"):
        _read_stream(8080)


def test_a_stream_dripping_bytes_without_completing_a_line_counts_as_silent(settings):
    # given a server whose every byte comes well within the idle time, but no line ever ends
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    port, stop = slow_drip_server(head=STREAM_HEAD + b"data: ", interval_s=0.1)
    try:
        # when / then: cut off at the idle time, not at the far later deadline
        with pytest.raises(OutboundError, match="127.0.0.1 sent no complete line for 0.5 s"):
            _read_stream(port, timeout_s=60, idle_s=0.5)
    finally:
        stop()


def test_a_stop_hangs_up_before_the_server_sends_its_headers(settings):
    # given a server that reads the request and then says nothing for far longer than the test
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    port, stop = scripted_server([60.0])
    asked_at = time.monotonic() + 0.3
    try:
        # when the reader asks to stop while it waits for the headers
        with pytest.raises(OutboundStopped):
            _read_stream(port, timeout_s=60, idle_s=30, should_stop=lambda: time.monotonic() > asked_at)
    finally:
        stop()
