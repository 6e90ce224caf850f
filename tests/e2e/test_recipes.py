"""A data recipe in a real browser against the full stack (daphne, worker, WebSockets): upload a
small dataset, build normalize -> length filter -> exact dedup in the builder, preview the
records after each step, create and run it, watch the run finish, read its per-step report,
run it again from there and see the second run succeed, open the new dataset version with its
lineage, compute its features and browse its records by them."""

import json
import re

import pytest
from playwright.sync_api import expect

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
# Six records: one too short for the length filter, one duplicate only after normalizing its
# spaces, one exact duplicate, so three come out.
TEXTS = [
    "The quality of mercy is not strained",
    "The  quality of mercy   is not strained",
    "hi",
    "It droppeth as the gentle rain from heaven",
    "Upon the place beneath: it is twice blest",
    "It droppeth as the gentle rain from heaven",
]


def test_a_three_step_recipe_is_built_previewed_run_and_reported(stack_page, make_user, screenshot_dir, tmp_path):
    # given a user with an uploaded, validated dataset
    page = stack_page
    user = make_user(password=PASSWORD)
    corpus = tmp_path / "speeches.jsonl"
    corpus.write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS))
    log_in(page, user.email, PASSWORD)
    page.goto("/datasets")
    page.get_by_role("button", name="New dataset").first.click()
    page.get_by_label("Name").fill("speeches")
    page.get_by_role("button", name="Create dataset").click()
    page.get_by_label("File to upload").set_input_files(str(corpus))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_test_id("version-status").first).to_have_text("valid", timeout=120_000)

    # when they build normalize -> length filter (at least 10 characters) -> exact dedup
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Recipes").click()
    page.get_by_role("button", name="New recipe").first.click()
    page.get_by_label("Name", exact=True).fill("tidy speeches")
    for step in ("Normalize", "Length filter", "Exact deduplication"):
        page.get_by_label("Step to add").select_option(label=step)
        page.get_by_role("button", name="Add step").click()
    page.get_by_label("Step 2 Minimum").fill("10")

    # and preview them on the dataset
    preview = page.get_by_role("complementary", name="Preview")
    preview.get_by_role("button", name="Add input").click()
    expect(preview.get_by_test_id("inputs-picker")).to_contain_text("speeches v1")
    preview.get_by_role("button", name="Preview", exact=True).click()

    # then each step shows its records in and out and its first records
    previews = page.get_by_test_id("step-preview")
    expect(previews).to_have_count(3)
    expect(previews.nth(0)).to_contain_text("6 in → 6 out")
    expect(previews.nth(1)).to_contain_text("6 in → 5 out")
    expect(previews.nth(2)).to_contain_text("5 in → 3 out")
    expect(previews.nth(2)).to_contain_text("The quality of mercy is not strained")
    page.screenshot(path=str(screenshot_dir / "recipe-preview.png"), full_page=True)

    # when they create it and run it into a new dataset
    page.get_by_role("button", name="Create recipe").click()
    expect(page).to_have_url(re.compile(r"/recipes/\d+$"), timeout=30_000)
    expect(page.get_by_role("heading", name="Recipe: tidy speeches")).to_be_visible()
    page.get_by_role("button", name="Run recipe").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Add input").click()
    dialog.get_by_label("Output dataset name").fill("tidy speeches data")
    dialog.get_by_role("button", name="Start run").click()

    # then the run finishes on the worker, live in the runs table
    run = page.get_by_test_id("recipe-run-row")
    expect(run).to_have_count(1)
    expect(run.get_by_test_id("run-status")).to_have_text("succeeded", timeout=120_000)
    expect(run).to_contain_text("tidy speeches data v1")

    # and its report shows records in and out per step, with what was dropped and why
    run.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/recipe-runs/\d+$"))
    steps = page.get_by_test_id("report-step")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text(re.compile(r"1\. Normalize\s*6\s*6"))
    expect(steps.nth(1)).to_contain_text(re.compile(r"2\. Length filter\s*6\s*5"))
    expect(steps.nth(2)).to_contain_text(re.compile(r"3\. Exact deduplication\s*5\s*3"))
    page.screenshot(path=str(screenshot_dir / "recipe-report.png"), full_page=True)

    # when they run it again from the report
    first_run = page.url
    page.get_by_role("button", name="Re-run").click()

    # then the second run opens, finishes on the worker and reports the same steps
    expect(page).not_to_have_url(first_run)
    expect(page).to_have_url(re.compile(r"/recipe-runs/\d+$"))
    expect(page.get_by_test_id("run-status")).to_have_text("succeeded", timeout=120_000)
    expect(steps).to_have_count(3)
    expect(steps.nth(2)).to_contain_text(re.compile(r"3\. Exact deduplication\s*5\s*3"))
    expect(page.get_by_test_id("run-outputs")).to_contain_text("tidy speeches data v")

    # and the new dataset version names the recipe and the run that made it
    page.get_by_test_id("run-outputs").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/datasets\?dataset=\d+&version=\d+"))
    lineage = page.get_by_test_id("version-lineage")
    expect(lineage).to_contain_text("Made by recipe tidy speeches version 1 from 1 input version")
    expect(lineage.get_by_role("link", name="run report")).to_have_attribute("href", re.compile(r"/recipe-runs/\d+"))
    page.screenshot(path=str(screenshot_dir / "recipe-lineage.png"), full_page=True)

    # when they compute the new version's basic features
    page.get_by_role("tab", name="Features").click()
    page.get_by_role("button", name="Compute features").click()

    # then each feature's statistics come with a histogram, once the worker has computed them
    expect(page.get_by_test_id("feature-group-basic")).to_contain_text("succeeded", timeout=120_000)
    words = page.get_by_role("article", name="Feature words")
    expect(words.get_by_role("img", name="Histogram of words")).to_be_visible()
    expect(words).to_contain_text("Records3")
    page.screenshot(path=str(screenshot_dir / "features.png"), full_page=True)

    # and the records browser keeps the records within a feature range
    page.get_by_role("tab", name="Records").click()
    expect(page.get_by_test_id("record-row")).to_have_count(3)
    page.get_by_label("Feature", exact=True).select_option("words")
    page.get_by_label("From").fill("8")
    page.get_by_role("button", name="Add filter").click()
    expect(page.get_by_test_id("record-row")).to_have_count(2)
    expect(page.get_by_test_id("records-table")).not_to_contain_text("quality of mercy")  # 7 words
