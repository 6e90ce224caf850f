"""A sweep in a real browser against the full stack: start a small sweep from the Sweeps page
with the search-space editor, watch its trials finish on the worker, and see the trial table,
the optimization history, the parallel coordinates, the importances and the best trial."""

import json
import re

import pytest
from playwright.sync_api import expect

from apps.training.tests.factories import tiny_config, valid_dataset_version

from .conftest import log_in, off_the_browser_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"


def test_a_small_sweep_runs_from_the_browser_with_its_table_and_charts(stack_page, make_user, screenshot_dir):
    # given a user with a validated dataset
    page = stack_page
    user = make_user(password=PASSWORD)
    off_the_browser_thread(valid_dataset_version, user)
    log_in(page, user.email, PASSWORD)

    # when they start a 3-trial sweep over the learning rate alone
    page.goto("/sweeps")
    page.get_by_role("button", name="New sweep").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill("tiny lr search")
    dialog.get_by_label("Training options every trial shares").fill(json.dumps(tiny_config(max_iters=20)))
    dialog.get_by_role("button", name="Remove").nth(1).click()  # the dropout row
    dialog.get_by_label("Parameter 1 low").fill("0.001")
    dialog.get_by_label("Parameter 1 high").fill("0.03")
    dialog.get_by_label("Trials", exact=True).fill("3")
    dialog.get_by_label("Trials at once", exact=True).fill("1")
    dialog.get_by_role("button", name="Start sweep").click()

    # then its page shows the trials finishing, the charts, and the best trial
    expect(page).to_have_url(re.compile(r"/sweeps/\d+"), timeout=30_000)
    expect(page.get_by_test_id("sweep-status")).to_have_text("finished", timeout=300_000)
    rows = page.get_by_test_id("trials-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="complete")).to_have_count(3)
    expect(rows.filter(has_text="★ best")).to_have_count(1)
    expect(page.get_by_test_id("optimization-history").locator("canvas")).to_be_visible()
    expect(page.get_by_test_id("parallel-coordinates").locator("polyline")).to_have_count(3)
    expect(page.get_by_test_id("param-importances")).to_contain_text("optim.lr")
    expect(page.get_by_test_id("best-trial")).to_contain_text("Best: trial")
    expect(page.get_by_role("button", name="Register as model version")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "sweep-finished.png"), full_page=True)
