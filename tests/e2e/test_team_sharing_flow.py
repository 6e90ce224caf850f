"""Teams in a real browser against the full stack: A creates a team and invites B by e-mail,
B follows the mailed link and joins, A shares a ready model with the team, B finds it among
the models as shared and chats with it, A takes the share back and B's next request for the
model is answered 404."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.chat import services as chat_services
from apps.chat.tests.factories import model_version

from .conftest import log_in, off_the_browser_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
LINK = re.compile(r"http://\S+/invitations/(\S+)")


@pytest.fixture
def mailbox(tmp_path, monkeypatch) -> Path:
    """The folder the server processes write their mail to (their settings read these)."""
    directory = tmp_path / "mail"
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(directory))
    return directory


@pytest.fixture
def live_stack(mailbox, live_stack):
    # The stack starts after `mailbox`, so its processes send mail into that folder.
    return live_stack


def _invitation_path(mailbox: Path, address: str) -> str:
    mails = [path.read_text() for path in sorted(mailbox.glob("*.log"))]
    sent = [text for text in mails if f"To: {address}" in text]
    assert sent, f"no mail to {address} among {len(mails)}"
    return f"/invitations/{LINK.search(sent[-1]).group(1)}"


def test_invite_accept_share_chat_and_revoke(stack_page, browser, live_stack, mailbox, make_user,
                                             screenshot_dir):
    alice_page = stack_page
    alice = make_user(email="alice@example.com", password=PASSWORD)
    bob = make_user(email="bob@example.com", password=PASSWORD)
    version = off_the_browser_thread(lambda: model_version(alice, name="tiny-team-model"))
    model_id = version.registered_model_id

    # A creates a team and invites B by e-mail
    log_in(alice_page, alice.email, PASSWORD)
    alice_page.goto("/teams")
    alice_page.get_by_role("button", name="New team").first.click()
    alice_page.get_by_role("dialog").get_by_label("Name", exact=True).fill("Night shift")
    alice_page.get_by_role("dialog").get_by_role("button", name="Create team").click()
    expect(alice_page.get_by_role("heading", name="Night shift", exact=True)).to_be_visible()
    invite = alice_page.get_by_role("form", name="Invite by e-mail")
    invite.get_by_label("E-mail address").fill(bob.email)
    invite.get_by_role("button", name="Send invitation").click()
    expect(alice_page.get_by_test_id("invitation-row")).to_contain_text(bob.email)

    # B follows the mailed link and joins
    bob_context = browser.new_context(base_url=live_stack, viewport={"width": 1400, "height": 900})
    bob_page = bob_context.new_page()
    bob_page.set_default_timeout(30_000)
    log_in(bob_page, bob.email, PASSWORD)
    bob_page.goto(_invitation_path(mailbox, bob.email))
    expect(bob_page.get_by_test_id("invitation-team")).to_have_text("Night shift")
    bob_page.get_by_role("button", name="Accept invitation").click()
    expect(bob_page.get_by_role("heading", name="Night shift", exact=True)).to_be_visible()
    expect(bob_page.get_by_test_id("member-row")).to_have_count(2)

    # A shares the ready model with the team
    alice_page.goto(f"/models?model={model_id}")
    alice_page.get_by_test_id("share-button").click()
    dialog = alice_page.get_by_test_id("share-dialog")
    share_form = dialog.get_by_role("form", name="Share with a team")
    share_form.get_by_label("Team", exact=True).select_option(label="Night shift")
    share_form.get_by_role("button", name="Share with team").click()
    expect(dialog.get_by_test_id("share-row")).to_contain_text("Night shift")
    alice_page.screenshot(path=str(screenshot_dir / "shared.png"))
    dialog.get_by_role("button", name="Done").click()

    # B sees it among the models, shared with them, and chats with it
    bob_page.goto("/models")
    expect(bob_page.get_by_test_id("model-item").filter(has_text="tiny-team-model")).to_contain_text(
        "shared with you")
    conversation = off_the_browser_thread(lambda: chat_services.conversation_create(
        user=bob, model_version_id=version.pk, title="with the team's model"))
    bob_page.goto(f"/chat/{conversation.pk}")
    bob_page.get_by_test_id("chat-input").fill("Tell me a story about the sea.")
    bob_page.get_by_role("button", name="Send", exact=True).click()
    answer = bob_page.get_by_test_id("assistant-message").last
    expect(answer.get_by_test_id("message-stats")).to_contain_text(re.compile("tok/s"), timeout=180_000)
    bob_page.screenshot(path=str(screenshot_dir / "chatting.png"))

    # A takes the share back; B's next request for the model is answered 404
    alice_page.get_by_test_id("share-button").click()
    dialog = alice_page.get_by_test_id("share-dialog")
    dialog.get_by_role("button", name="Remove Night shift").click()
    expect(dialog.get_by_text("Not shared with any team.")).to_be_visible()
    assert bob_page.request.get(f"/api/v1/models/{model_id}/").status == 404
    bob_page.goto("/models")
    expect(bob_page.get_by_test_id("model-item").filter(has_text="tiny-team-model")).to_have_count(0)
    bob_context.close()
