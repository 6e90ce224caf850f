"""Personalities in a real browser against daphne: create a config personality from an
archetype, see the sampling preview follow a trait slider, open its page (trait radar, prompt)
and score texts against it, with no console error or policy violation on the way."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import log_in
from .page_problems import watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
TEXTS = "Let us reason carefully about what the evidence shows.\nOMG this is sooo fun!!! 🎉🎉"


@pytest.fixture
def watched(browser, site_url):
    with watched_page(browser, site_url, {"width": 1366, "height": 768}) as watched:
        yield watched


def test_create_a_config_personality_and_score_texts_against_it(watched, make_user, screenshot_dir):
    page, problems = watched
    user = make_user(password=PASSWORD)
    log_in(page, user.email, PASSWORD)

    # the list: the built-ins, and none of one's own yet
    page.goto("/personalities")
    expect(page.get_by_test_id("builtin-personalities")).to_contain_text("Sage")
    expect(page.get_by_test_id("own-personalities-empty")).to_be_visible()

    # a config personality from an archetype, its preview following the sliders
    page.get_by_role("button", name="New config personality").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill("Tutor")
    dialog.get_by_label("Start from archetype").select_option(label="Sage")
    expect(dialog.get_by_test_id("preview-prompt")).to_contain_text("You are Tutor")
    sampling = dialog.get_by_test_id("preview-sampling")
    expect(sampling).to_contain_text("Temperature")
    before = sampling.inner_text()
    creativity = dialog.get_by_role("slider", name="Creativity")
    creativity.focus()
    for _ in range(4):
        creativity.press("ArrowRight")
    expect(sampling).not_to_have_text(before)
    page.screenshot(path=str(screenshot_dir / "create-config.png"))
    dialog.get_by_role("button", name="Create personality").click()

    # its page: kind, traits on the radar, the prompt it gives a model
    expect(page).to_have_url(re.compile(r"/personalities/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tutor")
    expect(page.get_by_test_id("kind-badge")).to_have_text("config")
    expect(page.get_by_test_id("trait-radar").get_by_test_id("radar-axis")).to_have_count(7)
    expect(page.get_by_test_id("system-prompt")).to_contain_text("You are Tutor")
    expect(page.get_by_test_id("personality-version-row")).to_have_count(1)

    # scoring texts: each one's alignment, and the profile against the metric targets
    page.get_by_label("Texts", exact=True).fill(TEXTS)
    page.get_by_role("button", name="Score", exact=True).click()
    expect(page.get_by_test_id("score-row")).to_have_count(2, timeout=120_000)
    expect(page.get_by_test_id("score-alignment")).to_contain_text("±")
    expect(page.get_by_test_id("metric-targets")).to_contain_text(re.compile("within|above|below"))
    page.screenshot(path=str(screenshot_dir / "scored.png"), full_page=True)

    # and it is listed as one's own
    page.get_by_role("link", name="All personalities").click()
    expect(page.get_by_test_id("own-personalities").get_by_role("link", name="Tutor")).to_be_visible()
    problems.settle(page)
    assert problems.errors == [] and problems.violations == []
