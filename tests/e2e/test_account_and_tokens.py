"""A new user, in a real browser: sign up, verify the email, log in, create an API token,
see it listed, revoke it, log out."""

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
EMAIL = "browser@example.com"
PASSWORD = "a-long-and-unusual-passphrase"


def _log_in(page):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form").locator("button[type=submit]").click()


def test_sign_up_verify_log_in_and_manage_tokens(page, live_server, screenshot_dir):
    # sign up
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form").locator("button[type=submit]").click()
    expect(page.get_by_text(re.compile("verif", re.I)).first).to_be_visible()

    # verify through the link in the email
    link = re.search(r"http://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + link[link.index("/accounts/"):])
    page.locator("form").locator("button[type=submit]").click()

    # log in (confirmation may already have signed us in; start from a clean session)
    page.context.clear_cookies()
    _log_in(page)
    expect(page.get_by_role("navigation")).to_be_visible()

    # create a token
    page.goto("/settings/tokens")
    page.get_by_role("button", name=re.compile("new token", re.I)).click()
    page.get_by_label(re.compile("name", re.I)).fill("laptop")
    page.get_by_role("button", name=re.compile("^create", re.I)).click()
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("sg_")
    page.screenshot(path=str(screenshot_dir / "token-created.png"))
    page.get_by_role("button", name="Done", exact=True).click()
    expect(page.get_by_test_id("token-secret")).to_have_count(0)

    # see it listed, without its secret
    row = page.get_by_role("row", name=re.compile("laptop"))
    expect(row).to_be_visible()
    assert secret not in page.content()

    # the token really works against the API
    response = page.request.get("/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert response.status == 200 and response.json()["email"] == EMAIL

    # revoke it
    row.get_by_role("button", name=re.compile("revoke", re.I)).click()
    page.get_by_role("alertdialog").get_by_role("button", name=re.compile("revoke", re.I)).click()
    expect(page.get_by_role("row", name=re.compile("laptop"))).to_have_count(0)
    # the list may update before the server has answered the revocation
    deadline = time.monotonic() + 15
    while (status := page.request.get("/api/v1/me/", headers={"Authorization": f"Bearer {secret}"}).status) != 401:
        assert time.monotonic() < deadline, f"the revoked token still answers {status}"
        time.sleep(0.2)
    page.screenshot(path=str(screenshot_dir / "token-revoked.png"))

    # log out
    page.get_by_role("button", name=re.compile("log out", re.I)).click()
    expect(page).to_have_url(re.compile("/accounts/login/"))
