"""Knowledge in a real browser against the full stack: upload two documents whose facts chain
(a person's employer in one, the employer's city in the other), see the collection's graph
drawn under the strict Content-Security-Policy, open a fact's document at its sentence, ask a
two-hop question through the graph and see the sentence it was cited for, then make cards from
a document's facts and review one."""

import re

import pytest
from playwright.sync_api import expect

from apps.cards.models import ReviewLog
from apps.chat import services as chat_services
from apps.chat.tests.factories import model_version
from apps.rag.models import Collection

from .conftest import log_in
from .page_problems import watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
WORKS = "Noah Keller works at Bluepeak Systems."
PEOPLE = f"Rain fell over the harbour all week. {WORKS}"
FIRMS = "Bluepeak Systems is headquartered in Lyon."


def test_graph_two_hop_answer_cards_and_a_review(browser, live_stack, make_user, screenshot_dir, tmp_path):
    with watched_page(browser, live_stack, {"width": 1400, "height": 900}, timeout_ms=30_000) as watched:
        page, problems = watched
        user = make_user(password=PASSWORD)
        version = model_version(user, name="tiny-chat")  # a small random model, ready to serve
        for name, text in (("people.txt", PEOPLE), ("firms.txt", FIRMS)):
            (tmp_path / name).write_text(text)
        log_in(page, user.email, PASSWORD)

        # given a collection with both documents, embedded and read for entities by a worker
        page.goto("/documents")
        page.get_by_role("button", name="New collection").first.click()
        page.get_by_role("dialog").get_by_label("Name", exact=True).fill("company facts")
        page.get_by_role("dialog").get_by_role("button", name=re.compile("^Create")).click()
        page.get_by_label("Documents to upload").set_input_files(
            [str(tmp_path / "people.txt"), str(tmp_path / "firms.txt")])
        page.get_by_role("button", name="Upload", exact=True).click()
        graphs = page.get_by_test_id("document-graph")
        expect(graphs).to_have_count(2, timeout=60_000)
        for index in range(2):
            expect(graphs.nth(index)).to_contain_text(re.compile(r"\d+ entit"), timeout=240_000)

        # when its knowledge graph is opened
        page.get_by_role("link", name="Knowledge graph").click()

        # then the graph is drawn with one node per entity, the company joining the two documents
        expect(page.get_by_test_id("graph-canvas")).to_have_attribute("data-status", "drawn")
        entities = page.get_by_test_id("graph-entity")
        expect(entities).to_have_count(3)
        for name in ("Noah Keller", "Bluepeak Systems", "Lyon"):
            expect(entities.filter(has_text=name)).to_have_count(1)
        problems.settle(page)
        page.screenshot(path=str(screenshot_dir / "graph.png"), full_page=True)

        # when an entity is searched and selected
        page.get_by_role("searchbox", name="Entity").fill("Bluepeak")
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_test_id("graph-entity").filter(has_text="Bluepeak Systems").click()

        # then its neighbours and the sentence behind each fact show
        panel = page.get_by_test_id("entity-panel")
        expect(panel.get_by_role("button", name="Noah Keller")).to_be_visible()
        fact = panel.get_by_test_id("entity-fact").filter(has_text="is headquartered in")
        expect(fact.locator("blockquote")).to_have_text(FIRMS)

        # when the fact read from the second sentence of a document is opened
        fact = panel.get_by_test_id("entity-fact").filter(has_text=WORKS)
        expect(fact.locator("blockquote")).to_have_text(WORKS)
        fact.get_by_role("link", name="people.txt").click()

        # then the document shows at that place with that sentence alone marked and in view
        expect(page.get_by_role("heading", name="people.txt", level=1)).to_be_visible()
        chunk = page.get_by_test_id("document-chunk")
        expect(chunk).to_have_text(PEOPLE)
        expect(chunk.locator("mark")).to_have_text(WORKS)
        expect(chunk.locator("mark")).to_be_in_viewport()
        page.screenshot(path=str(screenshot_dir / "document-at-fact.png"), full_page=True)

        # and the documents table opens the same document from its row
        page.get_by_role("link", name="Back to the documents").click()
        page.get_by_test_id("document-row").get_by_role("link", name="people.txt").click()
        expect(page.get_by_test_id("document-chunk")).to_have_text(PEOPLE)
        expect(page.get_by_test_id("document-chunk").locator("mark")).to_have_count(0)

        # when a two-hop question is asked in a conversation set to find passages by the graph
        collection = Collection.objects.get(owner=user, name="company facts")
        conversation = chat_services.conversation_create(
            user=user, model_version_id=version.pk, title="Where", collection_ids=[collection.pk])
        page.goto(f"/chat/{conversation.pk}")
        page.get_by_label("Find passages by").select_option("graph")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_text("Settings saved")).to_be_visible()
        page.get_by_test_id("chat-input").fill("Which city does Noah Keller work in?")
        page.get_by_role("button", name="Send", exact=True).click()

        # then the reply's sources hold the city's document with the sentence used (cited as
        # [n] or, from a random model, given but not cited)
        answer = page.get_by_test_id("assistant-message").last
        expect(answer.get_by_test_id("message-stats")).to_contain_text(re.compile("tok/s"), timeout=180_000)
        source = answer.locator("[data-testid=citation], [data-testid=uncited-source]").filter(
            has_text="firms.txt")
        expect(source.get_by_test_id("citation-sentence")).to_have_text(FIRMS)
        page.screenshot(path=str(screenshot_dir / "answer.png"), full_page=True)

        # when a deck is made and cards are generated from the city's document
        page.goto("/decks")
        page.get_by_role("button", name="New deck").first.click()
        page.get_by_role("dialog").get_by_label("Name", exact=True).fill("Companies")
        page.get_by_role("dialog").get_by_role("button", name="Create deck").click()
        expect(page.get_by_role("heading", name="Companies", exact=True)).to_be_visible()
        page.get_by_label("Collection", exact=True).select_option(label="company facts")
        page.get_by_label("Document", exact=True).select_option(label="firms.txt")
        page.get_by_role("button", name="Generate cards").click()

        # then one card per fact, with its blank
        row = page.get_by_test_id("card-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Bluepeak Systems is headquartered in ___")
        expect(row).to_contain_text("Lyon")

        # when it is reviewed with the keyboard
        page.get_by_role("link", name=re.compile(r"^Review \(1 due\)")).click()
        expect(page.get_by_test_id("card-front")).to_have_text("Bluepeak Systems is headquartered in ___")
        page.keyboard.press("Space")
        expect(page.get_by_test_id("card-back")).to_have_text("Lyon")
        page.keyboard.press("3")

        # then the session is done, one review is recorded, and the dashboard counts no card due
        expect(page.get_by_test_id("review-done")).to_be_visible()
        assert ReviewLog.objects.filter(owner=user, rating=3).count() == 1
        page.goto("/")
        expect(page.get_by_test_id("dashboard-due")).to_contain_text("Nothing due now")

        # and no page broke the Content-Security-Policy or logged an error
        problems.settle(page)
        assert problems.all() == []
