"""The run page, the runs table and the versions table in Chromium at a laptop's 1366×768:
charts draw without errors (log-scale perplexity included) under human titles, a finished
run's log is there after a reload, and wide tables scroll inside their frame instead of
pushing the page sideways or hiding their last column."""

import io

import pytest
from playwright.sync_api import expect

from apps.datasets import services as dataset_services
from apps.experiments.tests.factories import log_series, make_experiment, make_run
from apps.training.models import TrainingRun
from apps.training.services import training_run_log_append

from .conftest import log_in, off_the_browser_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def laptop_page(page):
    page.set_viewport_size(LAPTOP)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The plain live server has no WebSockets; the pages say "Not live" and carry on.
    page.on("console", lambda message: message.type == "error"
            and not message.text.startswith("WebSocket connection to")
            and errors.append(message.text))
    page.errors = errors
    return page


def _valid_version(user, filename="a-rather-long-file-name-for-the-corpus-v1.txt"):
    dataset = dataset_services.dataset_create(user=user, name="plays")
    body = ("To be, or not to be, that is the question.\n" * 40).encode()
    version, _ = dataset_services.dataset_version_upload(
        user=user, dataset_id=dataset.pk, stream=io.BytesIO(body), filename=filename,
        content_length=len(body),
    )
    return dataset, dataset_services.dataset_version_validate(version_id=version.pk)


def _page_scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def _stroke_pixels(page, test_id: str) -> int:
    """Pixels of the chart's first series colour (#2f5bd3) on its canvas: its line."""
    return page.evaluate(
        """(testId) => {
          const canvas = document.querySelector(`[data-testid="${testId}"] canvas`);
          const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
          let count = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (Math.abs(data[i] - 0x2f) < 30 && Math.abs(data[i + 1] - 0x5b) < 30
                && Math.abs(data[i + 2] - 0xd3) < 30 && data[i + 3] > 200) count += 1;
          }
          return count;
        }""",
        test_id,
    )


def test_a_finished_run_draws_every_chart_and_keeps_its_log(laptop_page, make_user, settings, tmp_path):
    # given: a finished training run with the engine's metrics and a few log lines
    settings.MEDIA_ROOT = tmp_path / "media"
    page = laptop_page
    user = make_user(password=PASSWORD)

    def setup():
        _, version = _valid_version(user)
        run = make_run(user, name="tiny on plays", status="finished")
        training = TrainingRun.objects.create(
            owner=user, run=run, dataset_version=version, config={}, max_steps=40, step=40,
            status="finished", tokens_per_s=1834.2, best_val_loss=2.0412,
        )
        log_series(user, run, "loss", [4.1, 3.2, 2.6, 2.2])
        log_series(user, run, "val_loss", [3.9, 2.9, 2.3, 2.04])
        log_series(user, run, "perplexity", [49.4, 18.2, 9.97, 7.7])
        log_series(user, run, "memory_mb", [410, 412, 415, 415])
        for line in ("step 40/40: loss 2.2000, lr 1.00e-03, 1834 tok/s", "completed at step 40"):
            training_run_log_append(training_run=training, line=line)
        return run

    run = off_the_browser_thread(setup)
    log_in(page, user.email, PASSWORD)

    # when
    page.goto(f"/experiments/runs/{run.pk}")

    # then
    expect(page.get_by_test_id("run-log")).to_contain_text("completed at step 40")
    expect(page.get_by_test_id("live-chart-memory_mb")).to_contain_text("Peak memory (MB)")
    figures = page.get_by_role("region", name="Training progress")
    expect(figures).to_contain_text("1,834")
    expect(figures).to_contain_text("2.0412")
    perplexity = page.get_by_test_id("live-chart-perplexity")
    expect(perplexity.locator("canvas")).to_be_visible()
    page.wait_for_function(
        "document.querySelectorAll('[data-testid^=\"live-chart-\"] canvas').length >= 5"
    )
    assert _stroke_pixels(page, "live-chart-perplexity") > 50
    assert page.errors == []


def test_wide_tables_scroll_inside_their_frame(laptop_page, make_user, settings, tmp_path):
    # given: runs that differ in many long-named params, and a dataset version with a long name
    settings.MEDIA_ROOT = tmp_path / "media"
    page = laptop_page
    user = make_user(password=PASSWORD)

    def setup():
        experiment = make_experiment(user, name="sweep")
        for index in range(3):
            params = {f"optim.some_rather_long_param_name_{n}": index * 10 + n for n in range(14)}
            run = make_run(user, experiment=experiment, name=f"run {index}", params=params)
            log_series(user, run, "val_loss", [2.0 - index * 0.1])
        dataset, _ = _valid_version(user)
        return experiment, dataset

    experiment, dataset = off_the_browser_thread(setup)
    log_in(page, user.email, PASSWORD)

    # when: the runs are filtered as the README writes it
    page.goto(f"/experiments?experiment={experiment.pk}&filter=params.optim.some_rather_long_param_name_1+>+5")

    # then
    runs = page.get_by_test_id("runs-table")
    expect(runs.locator("tbody tr")).to_have_count(2)
    assert not _page_scrolls_sideways(page)
    frame = runs.locator("xpath=..")
    assert frame.evaluate("element => element.scrollWidth > element.clientWidth")

    # when
    page.goto(f"/datasets?dataset={dataset.pk}")

    # then: every action of a version is inside the visible frame
    delete = page.get_by_role("button", name="Delete version 1")
    expect(delete).to_be_visible()
    button = delete.bounding_box()
    table_frame = page.get_by_test_id("version-row").first.locator("xpath=ancestor::table/..").bounding_box()
    assert button["x"] + button["width"] <= table_frame["x"] + table_frame["width"] + 0.5
    assert not _page_scrolls_sideways(page)
    assert page.errors == []
