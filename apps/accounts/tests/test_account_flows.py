"""Sign-up with email verification, login, rate-limited failures, password change and
reset, and the first-admin command, through allauth's real views."""

import re

import pytest
from django.core import mail
from django.core.management import call_command

from apps.accounts.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-unusual-passphrase"


def _link(message) -> str:
    return re.search(r"http://testserver(/accounts/\S+)", message.body).group(1)


def test_signup_requires_verification_then_logs_in(client):
    # when
    response = client.post(
        "/accounts/signup/", {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    # then: no session yet, an email with a confirmation link
    assert response.status_code == 302
    assert client.get("/api/v1/me/").status_code == 401
    assert len(mail.outbox) == 1
    confirm_url = _link(mail.outbox[0])
    # when the link is followed and confirmed
    client.post(confirm_url)
    # then
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["email"] == "new@example.com"


def test_login_and_logout(client, make_user):
    # given
    make_user(email="known@example.com", password=PASSWORD)
    # when
    client.post("/accounts/login/", {"login": "known@example.com", "password": PASSWORD})
    logged_in = client.get("/api/v1/me/").status_code
    client.post("/accounts/logout/")
    # then
    assert logged_in == 200
    assert client.get("/api/v1/me/").status_code == 401


def test_repeated_login_failures_are_rate_limited(client, make_user):
    # given
    make_user(email="target@example.com", password=PASSWORD)
    for _ in range(5):
        client.post("/accounts/login/", {"login": "target@example.com", "password": "wrong"})
    # when: even the right password is refused for a while
    response = client.post("/accounts/login/", {"login": "target@example.com", "password": PASSWORD})
    # then: the page says why, with the status of a rate limit
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/api/v1/me/").status_code == 401


def test_password_change(client, make_user):
    # given
    user = make_user(password=PASSWORD)
    client.force_login(user)
    # when
    client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "another-fine-passphrase", "password2": "another-fine-passphrase"},
    )
    # then
    user.refresh_from_db()
    assert user.check_password("another-fine-passphrase")


def test_password_reset_by_email(client, make_user):
    # given
    user = make_user(email="forgot@example.com", password=PASSWORD)
    # when
    client.post("/accounts/password/reset/", {"email": "forgot@example.com"})
    reset_url = _link(mail.outbox[-1])
    form_url = client.get(reset_url).url or reset_url
    client.post(form_url, {"password1": "brand-new-passphrase", "password2": "brand-new-passphrase"})
    # then
    user.refresh_from_db()
    assert user.check_password("brand-new-passphrase")


def test_staff_reach_the_admin_and_others_do_not(client, make_user):
    # given
    staff, plain = make_user(is_staff=True, is_superuser=True), make_user()
    # when / then
    client.force_login(plain)
    assert client.get("/admin/").status_code == 302
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_ensure_admin_creates_one_admin_once(monkeypatch, capsys):
    # given
    monkeypatch.delenv("SLOUGHGPT_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("SLOUGHGPT_ADMIN_EMAIL", "boss@example.com")
    # when
    call_command("ensure_admin")
    call_command("ensure_admin")
    # then
    out = capsys.readouterr().out
    assert out.count("Created admin account boss@example.com") == 1
    password = re.search(r"password: (\S+)", out).group(1)
    assert User.objects.get(email="boss@example.com").check_password(password)
