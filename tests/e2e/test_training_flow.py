"""The core loop in a real browser against the full stack (daphne, workers, WebSockets):
upload a dataset, watch it validate, start training, see the loss chart grow live, register
the result as a model version and export it to a quantized `.sou` with its report."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
TEXT = "Now is the winter of our discontent\nMade glorious summer by this sun of York;\n" * 80


def test_upload_validate_train_and_watch_the_live_chart(stack_page, make_user, screenshot_dir, tmp_path):
    page = stack_page
    user = make_user(password=PASSWORD)
    corpus = tmp_path / "richard.txt"
    corpus.write_text(TEXT)
    log_in(page, user.email, PASSWORD)

    # a dataset with an uploaded, validated version
    page.goto("/datasets")
    page.get_by_role("button", name="New dataset").first.click()
    page.get_by_label("Name").fill("richard")
    page.get_by_role("button", name="Create dataset").click()
    page.get_by_label("File to upload").set_input_files(str(corpus))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_test_id("version-status").first).to_have_text(re.compile("valid", re.I), timeout=120_000)
    expect(page.get_by_test_id("version-status").first).not_to_have_text(re.compile("invalid", re.I))
    page.screenshot(path=str(screenshot_dir / "dataset-validated.png"))

    # a small training run, started from the dataset
    page.get_by_role("button", name="New training run").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Steps", exact=True).fill("300")
    dialog.get_by_label("Batch size", exact=True).fill("4")
    dialog.locator("summary", has_text="Advanced").click()
    dialog.get_by_label("Layers", exact=True).fill("1")
    dialog.get_by_label("Attention heads", exact=True).fill("2")
    dialog.get_by_label("Width (n_embd)", exact=True).fill("32")
    dialog.get_by_label("Context length", exact=True).fill("16")
    dialog.get_by_label("Evaluate every (steps)", exact=True).fill("50")
    dialog.get_by_role("button", name="Start training").click()

    # the live run page: progress and a loss chart fed over the WebSocket
    expect(page).to_have_url(re.compile(r"/experiments/runs/\d+"), timeout=30_000)
    chart = page.get_by_test_id("live-chart-loss")
    expect(chart).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("run-progress")).to_contain_text(re.compile(r"Step [1-9]\d* of 300"), timeout=120_000)
    expect(chart.locator("canvas")).to_be_visible(timeout=60_000)
    expect(chart).not_to_contain_text("The first loss arrives")
    page.screenshot(path=str(screenshot_dir / "live-chart.png"), full_page=True)
    expect(page.get_by_test_id("run-status")).to_have_text(re.compile("finished", re.I), timeout=300_000)
    page.screenshot(path=str(screenshot_dir / "run-finished.png"), full_page=True)

    # register the trained checkpoint as a model version, then export it quantized
    page.goto("/models")
    page.get_by_role("button", name="Register from training run").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Model name", exact=True).fill("richard")
    dialog.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_test_id("model-status").first).to_have_text(re.compile("ready", re.I), timeout=180_000)
    if not page.get_by_role("button", name="Export…").is_visible():
        page.get_by_test_id("model-version-row").first.click()
    page.get_by_role("button", name="Export…").click()
    page.get_by_role("dialog").get_by_role("checkbox", name=re.compile(r"^Q8_0\b")).check()
    page.get_by_role("dialog").get_by_role("button", name=re.compile(r"^Export \d")).click()
    expect(page.get_by_test_id("export-status").first).to_have_text(re.compile("ready", re.I), timeout=240_000)
    expect(page.get_by_test_id("export-report")).to_contain_text("Q8_0")
    page.screenshot(path=str(screenshot_dir / "export-report.png"), full_page=True)
