"""Chat in a real browser against the full stack: upload a document into a collection, ask a
question in a conversation that uses it, and see the answer stream in with the document among
its sources."""

import re

import pytest
from playwright.sync_api import expect

from apps.chat import services as chat_services
from apps.chat.tests.factories import model_version
from apps.rag.models import Collection

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
DOCUMENT = (
    "The Lantern Festival of Harrowgate is held every autumn on the first full moon. "
    "Families float paper lanterns down the river Slough to honour the founders of the town, "
    "who arrived by boat in the year 1204. The festival ends with a bonfire on Mill Hill."
)


def test_upload_a_document_ask_and_see_a_streamed_cited_answer(stack_page, make_user, screenshot_dir, tmp_path):
    page = stack_page
    user = make_user(password=PASSWORD)
    version = model_version(user, name="tiny-chat")  # a small random model, ready to serve
    document = tmp_path / "harrowgate.txt"
    document.write_text(DOCUMENT)
    log_in(page, user.email, PASSWORD)

    # a collection with the uploaded document, embedded by a worker
    page.goto("/documents")
    page.get_by_role("button", name="New collection").first.click()
    page.get_by_role("dialog").get_by_label("Name", exact=True).fill("town history")
    page.get_by_role("dialog").get_by_role("button", name=re.compile("^Create")).click()
    page.get_by_label("Documents to upload").set_input_files(str(document))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_test_id("document-status").first).to_have_text(re.compile("ready", re.I), timeout=180_000)

    # a conversation that answers from that collection
    collection = Collection.objects.get(owner=user, name="town history")
    conversation = chat_services.conversation_create(
        user=user, model_version_id=version.pk, title="Harrowgate", collection_ids=[collection.pk]
    )
    page.goto(f"/chat/{conversation.pk}")
    page.get_by_test_id("chat-input").fill("When is the Lantern Festival of Harrowgate held?")
    page.get_by_role("button", name="Send", exact=True).click()

    # the answer streams in, with its stats and the document among its sources (under
    # "Sources" when the text cites it as [1]; a random model seldom does, so it is listed as
    # given but not cited)
    answer = page.get_by_test_id("assistant-message").last
    expect(answer).to_be_visible(timeout=120_000)
    expect(answer.get_by_test_id("message-stats")).to_contain_text(re.compile("tok/s"), timeout=180_000)
    source = answer.locator("[data-testid=citation], [data-testid=uncited-source]").first
    expect(source).to_contain_text("harrowgate.txt")
    page.screenshot(path=str(screenshot_dir / "cited-answer.png"), full_page=True)
