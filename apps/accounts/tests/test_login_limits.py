"""Failed-login limits over every password login (the site's sign-in page and the admin's):
counted per account and client address (an IPv6 client by its /64, as allauth counts
addresses), with looser ceilings per address over all accounts and per account over all
addresses, the client address taken from X-Forwarded-For only behind trusted proxies, every 429
saying when to retry, and a failure costing the same password hashing whatever made it fail."""

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-unusual-passphrase"
SITE, ADMIN = "/accounts/login/", "/admin/login/"


def _site_login(client, email, password, *, address="127.0.0.1", **headers):
    return client.post(SITE, {"login": email, "password": password}, headers=headers,
                       REMOTE_ADDR=address)


def _admin_login(client, email, password):
    return client.post(ADMIN, {"username": email, "password": password, "next": "/admin/"})


def _signed_in(client) -> bool:
    return client.get("/api/v1/me/").status_code == 200


def test_one_accounts_failures_do_not_lock_another_from_the_same_address(client, make_user):
    # given
    make_user(email="attacked@example.com", password=PASSWORD)
    make_user(email="colleague@example.com", password=PASSWORD)
    for _ in range(5):
        _site_login(client, "attacked@example.com", "wrong")
    # when
    locked = _site_login(client, "attacked@example.com", PASSWORD)
    other = _site_login(client, "colleague@example.com", PASSWORD)
    # then
    assert locked.status_code == 429
    assert other.status_code == 302 and _signed_in(client)


def test_failures_spread_over_many_accounts_reach_a_ceiling_per_address(client, make_user):
    # given one failure each on 30 accounts from one address
    make_user(email="sprayed@example.com", password=PASSWORD)
    for number in range(30):
        _site_login(client, f"guess{number}@example.com", "Summer2024!")
    # when
    response = _site_login(client, "sprayed@example.com", PASSWORD)
    # then
    assert response.status_code == 429
    assert not _signed_in(client)


def test_a_forged_forwarded_for_does_not_escape_the_lockout(client, make_user):
    # given no trusted proxy, and each attempt claiming another address
    make_user(email="target@example.com", password=PASSWORD)
    for number in range(5):
        _site_login(client, "target@example.com", "wrong", x_forwarded_for=f"203.0.113.{number}")
    # when
    response = _site_login(client, "target@example.com", PASSWORD, x_forwarded_for="198.51.100.7")
    # then
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_address_counts_apart(client, make_user, settings):
    # given one proxy, whose connection address all clients share
    settings.SLOUGHGPT_TRUSTED_PROXY_COUNT = 1
    make_user(email="shared@example.com", password=PASSWORD)
    for _ in range(5):
        _site_login(client, "shared@example.com", "wrong", x_forwarded_for="203.0.113.9")
    # when the same account signs in from each client behind the proxy
    locked = _site_login(client, "shared@example.com", PASSWORD, x_forwarded_for="203.0.113.9")
    elsewhere = _site_login(client, "shared@example.com", PASSWORD, x_forwarded_for="198.51.100.7")
    # then only the client that failed is locked
    assert elsewhere.status_code == 302
    assert locked.status_code == 429


def test_addresses_of_one_ipv6_network_share_an_accounts_failures(client, make_user):
    # given five failures, each from another address of one /64
    make_user(email="target@example.com", password=PASSWORD)
    for number in range(1, 6):
        _site_login(client, "target@example.com", "wrong", address=f"2001:db8:0:1::{number:x}")
    # when the right password comes from yet another address of that network
    response = _site_login(client, "target@example.com", PASSWORD, address="2001:db8:0:1::ff")
    # then
    assert response.status_code == 429
    assert not _signed_in(client)


def test_failures_on_one_account_from_many_networks_reach_a_ceiling_per_account(client, make_user):
    # given one failure from each of 50 addresses: within every limit per address
    make_user(email="target@example.com", password=PASSWORD)
    for number in range(50):
        _site_login(client, "target@example.com", "wrong", address=f"198.51.100.{number}")
    # when the right password comes from an address that never failed
    response = _site_login(client, "target@example.com", PASSWORD, address="203.0.113.1")
    # then the account is locked for at most the hour
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert not _signed_in(client)


def test_a_password_reset_lifts_the_lock_on_an_account(client, make_user):
    # given an account locked by failures from many addresses
    make_user(email="target@example.com", password=PASSWORD)
    for number in range(50):
        _site_login(client, "target@example.com", "wrong", address=f"198.51.100.{number}")
    # when its owner resets the password through the link mailed to them
    client.post("/accounts/password/reset/", {"email": "target@example.com"})
    reset_url = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    form_url = client.get(reset_url).url or reset_url
    client.post(form_url, {"password1": "a-new-and-unusual-passphrase",
                           "password2": "a-new-and-unusual-passphrase"})
    # then they sign in with it
    response = _site_login(client, "target@example.com", "a-new-and-unusual-passphrase")
    assert response.status_code == 302 and _signed_in(client)


def test_the_locked_sign_in_page_says_when_to_retry(client, make_user):
    # given
    make_user(email="target@example.com", password=PASSWORD)
    for _ in range(5):
        _site_login(client, "target@example.com", "wrong")
    # when
    response = _site_login(client, "target@example.com", PASSWORD)
    # then within the 5-minute window
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 300


def test_admin_login_is_locked_after_failures_even_with_the_right_password(client, make_user):
    # given
    make_user(email="boss@example.com", password=PASSWORD, is_staff=True, is_superuser=True)
    for _ in range(5):
        assert _admin_login(client, "boss@example.com", "wrong").status_code == 200
    # when
    response = _admin_login(client, "boss@example.com", PASSWORD)
    # then
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 300
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still signed out


def test_admin_and_site_failures_count_together(client, make_user):
    # given failures on both pages
    make_user(email="boss@example.com", password=PASSWORD, is_staff=True, is_superuser=True)
    for _ in range(3):
        _admin_login(client, "boss@example.com", "wrong")
    for _ in range(2):
        _site_login(client, "boss@example.com", "wrong")
    # when / then each page refuses the right password
    assert _site_login(client, "boss@example.com", PASSWORD).status_code == 429
    assert _admin_login(client, "boss@example.com", PASSWORD).status_code == 429


def test_a_staff_admin_login_succeeds_and_gives_its_attempt_back(client, make_user):
    # given four failures
    make_user(email="boss@example.com", password=PASSWORD, is_staff=True, is_superuser=True)
    for _ in range(4):
        _admin_login(client, "boss@example.com", "wrong")
    # when
    response = _admin_login(client, "boss@example.com", PASSWORD)
    # then
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.fixture
def hashes(monkeypatch):
    """How many times a password was hashed (tests hash with MD5)."""
    counted = []
    encode = MD5PasswordHasher.encode
    monkeypatch.setattr(MD5PasswordHasher, "encode",
                        lambda self, *args: counted.append(1) or encode(self, *args))
    return counted


@pytest.mark.parametrize("case", ["wrong password", "unknown account", "right password, not staff"])
def test_every_failed_admin_login_costs_one_password_hash(client, make_user, hashes, case):
    # given
    make_user(email="plain@example.com", password=PASSWORD)
    email, password = {"wrong password": ("plain@example.com", "wrong"),
                       "unknown account": ("nobody@example.com", PASSWORD),
                       "right password, not staff": ("plain@example.com", PASSWORD)}[case]
    hashes.clear()
    # when
    response = _admin_login(client, email, password)
    # then
    assert response.status_code == 200  # the form again, with the same error
    assert len(hashes) == 1


@pytest.mark.parametrize("case", ["wrong password", "unknown account", "right password"])
def test_every_site_login_costs_one_password_hash(client, make_user, hashes, case):
    # given
    make_user(email="plain@example.com", password=PASSWORD)
    email, password = {"wrong password": ("plain@example.com", "wrong"),
                       "unknown account": ("nobody@example.com", PASSWORD),
                       "right password": ("plain@example.com", PASSWORD)}[case]
    hashes.clear()
    # when
    _site_login(client, email, password)
    # then
    assert len(hashes) == 1


def test_other_account_limits_say_when_to_retry(client, settings):
    # given a sign-up limit of one per hour
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/h/ip"}
    client.post("/accounts/signup/", {"email": "first@example.com", "password1": PASSWORD,
                                      "password2": PASSWORD})
    # when
    response = client.post("/accounts/signup/", {"email": "second@example.com",
                                                  "password1": PASSWORD, "password2": PASSWORD})
    # then
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
