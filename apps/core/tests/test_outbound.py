"""Requests to user-given URLs refuse the server's own networks before any connection is
made, unless staff allowed them, and reach what is allowed at the address that was checked."""

import socket

import pytest

from apps.core import outbound
from apps.core.outbound import OutboundError, OutboundRefused, outbound_check, outbound_request
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
])
def test_a_url_into_the_servers_own_networks_is_refused_before_any_connection(
        url, why, settings, monkeypatch, no_connections):
    # given nothing allowed beyond the public internet, and names that resolve inward
    settings.SLOUGHGPT_OUTBOUND_ALLOW = []
    resolve_as(monkeypatch, {"sneaky.example": ["127.0.0.1"], "mixed.example": ["93.184.216.34", "10.1.2.3"]})
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
