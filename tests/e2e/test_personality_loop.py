"""The personality loop in a real browser against the full stack (daphne and real workers):
learn a personality from pasted examples, apply it to a tiny model version on a few probes,
read the evaluation report, chat with the version it made and see a reply's alignment, then
set a personality gate above what any random model reaches and watch the promotion to
production wait for the gate's own evaluation (on its probes, not the two picked) and then
be refused with the measured reasons."""

import re

import pytest
from playwright.sync_api import expect

from apps.chat import services as chat_services
from apps.chat.tests.factories import model_version
from apps.personalities.models import Personality, PersonalityApplication, PersonalityEvaluation
from apps.personalities.tests.factories import CHEERFUL

from .conftest import log_in
from .page_problems import watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
GATE_PROBES = 2  # the gate's own evaluation of the tiny model, small enough to wait for


@pytest.fixture
def small_gate(monkeypatch):
    """The stack started after this asks GATE_PROBES probes in each gate evaluation."""
    monkeypatch.setenv("SLOUGHGPT_PERSONALITY_GATE_PROBES", str(GATE_PROBES))


@pytest.fixture
def watched(browser, small_gate, live_stack):
    with watched_page(browser, live_stack, {"width": 1400, "height": 900}) as watched:
        yield watched


def test_learn_apply_measure_chat_and_gate_a_personality(watched, make_user, screenshot_dir):
    page, problems = watched
    user = make_user(password=PASSWORD)
    base = model_version(user, name="tiny", max_tokens=8)  # a small random model, ready to serve
    log_in(page, user.email, PASSWORD)

    # given a learned personality made in the browser from pasted examples
    page.goto("/personalities")
    page.get_by_role("button", name="New learned personality").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill("Fan")
    dialog.get_by_label("Examples", exact=True).fill("\n".join(CHEERFUL[:20]))
    dialog.get_by_role("button", name="Learn personality").click()
    expect(page).to_have_url(re.compile(r"/personalities/\d+$"), timeout=120_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Fan")

    # when it is applied to the tiny model by system prompt, on two picked probes
    page.goto(f"/models?model={base.registered_model_id}&version={base.pk}")
    page.get_by_role("button", name="Apply a personality…").click()
    dialog = page.get_by_test_id("apply-personality-dialog")
    dialog.get_by_label("Personality", exact=True).select_option(label="Fan (yours)")
    dialog.get_by_label("Method").select_option("prompt")
    expect(dialog).to_contain_text("system prompt and sampling defaults")
    dialog.get_by_label("Answer tokens").fill("8")
    dialog.get_by_text("Pick the probes").click()
    picker = dialog.get_by_test_id("probe-picker")
    picker.get_by_role("checkbox").nth(0).check()
    picker.get_by_role("checkbox").nth(1).check()
    expect(picker).to_contain_text("2 picked")
    dialog.get_by_role("button", name="Apply", exact=True).click()

    # then its evaluation report appears: gains, perplexity ratio, conditions, chart, answers
    report = page.get_by_test_id("application-report")
    expect(report).to_be_visible(timeout=180_000)
    expect(report.get_by_test_id("report-alignment")).to_have_text(re.compile(r"^\d\.\d{3}$"))
    expect(report.get_by_test_id("report-perplexity-ratio")).to_have_text(re.compile(r"^×\d"))
    expect(report.get_by_test_id("report-conditions")).to_contain_text("System prompt")
    expect(report.get_by_test_id("report-conditions")).to_contain_text("No personality")
    expect(report.get_by_test_id("report-answers").locator("li")).to_have_count(2)
    chart = report.get_by_test_id("report-chart")
    expect(chart).to_be_visible()
    assert chart.evaluate("(img) => img.complete && img.naturalWidth > 0")
    page.screenshot(path=str(screenshot_dir / "report.png"), full_page=True)

    # and the version it made: its lineage names the base version and the personality
    application = PersonalityApplication.objects.get(owner=user)
    result = application.result_version
    measured = application.evaluation.report["alignment"]
    page.get_by_test_id("application-status").get_by_test_id("application-result-link").click()
    expect(page).to_have_url(re.compile(rf"version={result.pk}$"))
    lineage = page.get_by_test_id("lineage")
    expect(lineage).to_contain_text("Base version")
    expect(lineage).to_contain_text("tiny:1.0.0")
    expect(lineage).to_contain_text("Fan v1")

    # when a conversation with the new version gets a reply, the reply shows its alignment
    personality = Personality.objects.get(owner=user, name="Fan")
    conversation = chat_services.conversation_create(
        user=user, model_version_id=result.pk, title="With Fan", personality_id=personality.pk)
    page.goto(f"/chat/{conversation.pk}")
    page.get_by_test_id("chat-input").fill("How was your day?")
    page.get_by_role("button", name="Send", exact=True).click()
    answer = page.get_by_test_id("assistant-message").last
    expect(answer.get_by_test_id("message-stats")).to_contain_text("tok/s", timeout=120_000)
    answer.get_by_test_id("reply-alignment").click()
    expect(page.get_by_test_id("reply-alignment-dialog")).to_contain_text(re.compile(r"Alignment \d"), timeout=60_000)
    page.keyboard.press("Escape")

    # when the model's gate asks for more alignment than a random model reaches
    threshold = 0.99
    assert measured < threshold, measured
    page.goto(f"/models?model={result.registered_model_id}&version={result.pk}")
    gate = page.get_by_test_id("personality-gate")
    expect(gate.get_by_test_id("personality-gate-current")).to_contain_text("No personality gate")
    gate.get_by_label("Target personality").select_option(label="Fan (yours)")
    gate.get_by_label("Minimum alignment").fill(f"{threshold:.2f}")
    gate.get_by_role("button", name="Save gate").click()
    expect(gate.get_by_test_id("personality-gate-current")).to_contain_text(f"alignment at least {threshold:.2f}")

    # then moving the version to production waits for the gate's own evaluation: the one on
    # the two picked probes does not count
    stage = page.get_by_test_id("stage-control")
    stage.get_by_label("Stage").select_option("production")
    stage.get_by_role("button", name="Change stage").click()
    expect(stage.get_by_test_id("gate-running")).to_contain_text(
        "The evaluation finished: change the stage again", timeout=180_000)
    gate_evaluation = PersonalityEvaluation.objects.exclude(pk=application.evaluation_id).get(model_version=result)
    assert gate_evaluation.status == "ready", gate_evaluation.error
    assert len(gate_evaluation.probe_ids) == GATE_PROBES
    # and once it is done, the promotion is refused with what it measured
    stage.get_by_role("button", name="Change stage").click()
    refusal = stage.get_by_test_id("gate-refusal")
    expect(refusal).to_contain_text("Refused by the personality gate")
    gate_measured = gate_evaluation.report["alignment"]
    expect(refusal).to_contain_text(f"alignment {gate_measured:.3f} is below the minimum {threshold:.3f}")
    expect(refusal).to_contain_text(f"evaluation {gate_evaluation.pk}")
    page.screenshot(path=str(screenshot_dir / "gate-refused.png"), full_page=True)
    result.refresh_from_db()
    assert result.stage == "development"

    problems.settle(page)
    assert problems.violations == []
    # The refusal is a 409 the browser logs as a failed load; nothing else may go wrong.
    assert [error for error in problems.errors if "409" not in error] == []
