"""The fine-tuning loop in a real browser against the full stack (daphne and real workers), on
a tiny model: chat with a version and dislike replies, regenerate them and like the new ones;
export the feedback as preference pairs and see them as a dataset version of preference
records; DPO-tune the version with LoRA adapters on those pairs from its page and watch the run
live; register the result as a new version whose lineage names its base and dataset versions;
then compare it with its parent in chat's Compare mode, vote, and find both on the Arena
leaderboard."""

import re

import pytest
from playwright.sync_api import expect

from apps.arena.models import Battle
from apps.chat.models import Message
from apps.chat.tests.factories import model_version
from apps.datasets.models import DatasetVersion
from apps.registry.models import ModelVersion
from apps.training.models import TrainingRun

from .conftest import log_in
from .page_problems import watched_page

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.slow,
              pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
QUESTIONS = ["Tell me about the sea.", "And the ships on it?"]
STEPS = 6  # DPO steps on two preference pairs: enough to see progress, quick on a tiny model
VERSION_NAME = re.compile(r"tiny:1\.[01]\.0")  # the parent and the tuned version, as revealed
REPLY_WAIT = 120_000  # ms; the inference worker loads the tiny model on its first reply


@pytest.fixture
def watched(browser, live_stack):
    with watched_page(browser, live_stack, {"width": 1400, "height": 900}) as watched:
        yield watched


def _last_reply(page):
    """The newest reply, once it has finished (its speed is shown then)."""
    reply = page.get_by_test_id("assistant-message").last
    expect(reply).to_have_attribute("data-status", "done", timeout=REPLY_WAIT)
    expect(reply.get_by_test_id("message-stats")).to_be_visible()
    return reply


def _newest_reply_in_db(user) -> Message:
    return Message.objects.filter(conversation__owner=user, role=Message.Role.ASSISTANT).latest("id")


def _dislike_regenerate_and_like(page, user) -> None:
    """Thumbs down on the newest reply, Regenerate, thumbs up on the new one; the liked reply
    keeps the disliked text for the preference export."""
    reply = _last_reply(page)
    disliked = _newest_reply_in_db(user)
    reply.get_by_role("button", name="Bad answer").click()
    expect(reply.get_by_role("button", name="Bad answer")).to_have_attribute("aria-pressed", "true")
    reply.get_by_role("button", name="Regenerate").click()
    # The new reply replaces the disliked one in the view, unrated.
    expect(page.get_by_test_id("assistant-message").last.get_by_role("button", name="Bad answer")).to_have_attribute(
        "aria-pressed", "false", timeout=REPLY_WAIT)
    reply = _last_reply(page)
    reply.get_by_role("button", name="Good answer").click()
    expect(reply.get_by_role("button", name="Good answer")).to_have_attribute("aria-pressed", "true")
    liked = _newest_reply_in_db(user)
    assert liked.pk != disliked.pk and liked.feedback == Message.Feedback.UP
    assert liked.content != disliked.content, "sampling gave the same reply twice; no pair to learn from"
    assert liked.rejected_texts == [disliked.content]


def test_chat_feedback_to_dpo_version_to_arena(watched, make_user, screenshot_dir):
    page, problems = watched
    user = make_user(password=PASSWORD)
    base = model_version(user, name="tiny", max_tokens=8)  # a small random model, ready to serve
    log_in(page, user.email, PASSWORD)

    # given a conversation with the tiny model, sampling so a regenerated reply differs
    page.goto("/chat")
    page.get_by_label("Model", exact=True).select_option(label="tiny 1.0.0")
    page.get_by_test_id("chat-input").fill(QUESTIONS[0])
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page).to_have_url(re.compile(r"/chat/\d+$"))
    settings = page.get_by_role("form", name="Conversation settings")
    settings.get_by_label("Temperature").fill("1.5")
    settings.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved")).to_be_visible()

    # when each of two replies is disliked, regenerated and the new reply liked
    _dislike_regenerate_and_like(page, user)
    page.get_by_test_id("chat-input").fill(QUESTIONS[1])
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_test_id("user-message")).to_have_count(2)
    _dislike_regenerate_and_like(page, user)
    page.screenshot(path=str(screenshot_dir / "feedback.png"), full_page=True)

    # and the feedback is exported as preferences
    page.get_by_role("button", name="Export preferences (DPO)").click()
    expect(page.get_by_text("Exported 2 pairs")).to_be_visible()

    # then a dataset version of two preference records is on the Datasets page
    exported = DatasetVersion.objects.get(dataset__owner=user)
    page.goto(f"/datasets?dataset={exported.dataset_id}&version={exported.pk}")
    expect(page.get_by_test_id("version-status").first).to_have_text(re.compile("^valid", re.I), timeout=120_000)
    expect(page.get_by_test_id("record-kinds")).to_contain_text("2 preference", timeout=30_000)

    # when the model version is DPO-tuned with LoRA adapters on that version, from its page
    page.goto(f"/models?model={base.registered_model_id}&version={base.pk}")
    page.get_by_role("button", name="Fine-tune…").click()
    dialog = page.get_by_test_id("fine-tune-dialog")
    expect(dialog.get_by_label("Base model")).to_have_value(str(base.pk))
    dialog.get_by_label("Method").select_option("dpo")
    expect(dialog.get_by_label("Train LoRA adapters (otherwise every weight trains)")).to_be_checked()
    dialog.get_by_label("Dataset", exact=True).select_option(label=exported.dataset.name)
    dialog.get_by_label("Version", exact=True).select_option(str(exported.pk))
    expect(dialog.get_by_label("Version", exact=True)).to_contain_text("2 preference")
    dialog.get_by_label("Rank", exact=True).fill("2")
    dialog.get_by_label("Steps", exact=True).fill(str(STEPS))
    dialog.get_by_label("Batch size", exact=True).fill("1")
    dialog.get_by_label("Sequence length", exact=True).fill("128")
    dialog.get_by_role("button", name="Start fine-tuning").click()

    # then its run page says what it tunes, shows progress and the reward margin live, and finishes
    expect(page).to_have_url(re.compile(r"/experiments/runs/\d+$"))
    expect(page.get_by_test_id("fine-tune-summary")).to_contain_text("DPO with LoRA of tiny 1.0.0")
    expect(page.get_by_test_id("run-progress")).to_contain_text(
        re.compile(rf"Step [1-9]\d* of {STEPS}"), timeout=180_000)
    expect(page.get_by_test_id("live-chart-rewards/margin").locator("canvas")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("run-status")).to_have_text(re.compile("finished", re.I), timeout=180_000)
    page.screenshot(path=str(screenshot_dir / "dpo-run.png"), full_page=True)
    run = TrainingRun.objects.get(owner=user)

    # when the run's result is registered as a new version of the tiny model
    page.goto("/models")
    page.get_by_role("button", name="Register from training run").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Training run", exact=True).select_option(str(run.pk))
    dialog.get_by_label("Register as").select_option(label="A new version of tiny")
    dialog.get_by_role("button", name="Register", exact=True).click()

    # then it is imported, and its lineage names the method, the base and the dataset version
    detail = page.get_by_test_id("model-version-detail")
    expect(detail.get_by_role("heading", level=3)).to_have_text("tiny 1.1.0")
    expect(detail.get_by_test_id("model-status")).to_have_text(re.compile("ready", re.I), timeout=180_000)
    lineage = detail.get_by_test_id("lineage")
    expect(lineage.get_by_test_id("lineage-method")).to_have_text("DPO")
    expect(lineage).to_contain_text("tiny:1.0.0")
    expect(lineage).to_contain_text(f"{exported.dataset.name} v{exported.number}")
    expect(lineage.get_by_role("link", name="Download adapter (.safetensors)")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "lineage.png"), full_page=True)
    tuned = ModelVersion.objects.get(registered_model=base.registered_model, minor=1)
    assert (tuned.base_version_id, tuned.dataset_version_id) == (base.pk, exported.pk)

    # when the conversation compares the tuned version against its parent and the user votes
    conversation_id = Message.objects.filter(conversation__owner=user).latest("id").conversation_id
    page.goto(f"/chat/{conversation_id}")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.get_by_label("First model").select_option(label="tiny 1.1.0")
    page.get_by_label("Second model").select_option(label="tiny 1.0.0")
    page.get_by_test_id("chat-input").fill("Which ship is the fastest?")
    page.get_by_role("button", name="Send", exact=True).click()
    battle = page.get_by_role("article", name="Comparison: Which ship is the fastest?")
    # then both answers stream in side by side, the models hidden, and the vote opens
    expect(battle.get_by_role("button", name="A is better")).to_be_enabled(timeout=REPLY_WAIT)
    for side in ("A", "B"):
        pane = battle.get_by_role("region", name=f"Answer {side}")
        expect(pane.locator("header")).to_have_text(f"{side}model hidden")
        expect(pane.locator("p")).not_to_have_text("")
    battle.get_by_role("button", name="A is better").click()

    # then both models are revealed above the answers, one on each side
    expect(battle).to_contain_text("You chose A", timeout=30_000)
    headers = [battle.get_by_role("region", name=f"Answer {side}").locator("header") for side in ("A", "B")]
    for header in headers:
        expect(header).to_contain_text(VERSION_NAME)
    winner, loser = (VERSION_NAME.search(header.inner_text()).group(0) for header in headers)
    assert {winner, loser} == {"tiny:1.0.0", "tiny:1.1.0"}
    page.screenshot(path=str(screenshot_dir / "compare.png"), full_page=True)
    assert Battle.objects.get(owner=user).vote == Battle.Vote.A

    # and the Arena page ranks the chosen version above the other, with ratings and records
    page.goto("/arena")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(2)
    for row, name, record in ((rows.nth(0), winner, "1 · 0 · 0"), (rows.nth(1), loser, "0 · 1 · 0")):
        expect(row.get_by_role("rowheader")).to_have_text(name)
        expect(row.locator("td").nth(1)).to_have_text(re.compile(r"^\d+$"))
        expect(row.locator("td").nth(2)).to_have_text(re.compile(r"^\d+ – \d+$"))
        expect(row.locator("td").nth(4)).to_have_text(record)
    page.screenshot(path=str(screenshot_dir / "arena.png"), full_page=True)

    problems.settle(page)
    assert problems.violations == []
    assert problems.errors == []
