"""Monitoring test fixtures: chat's real inference worker and media folder, for replies served
end to end, and the /metrics scrape token (`scrape.TOKEN`) for the test process."""

import pytest

from apps.chat.tests.conftest import inference_worker, media_root, var_dir  # noqa: F401

from .scrape import TOKEN


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.SLOUGHGPT_METRICS_TOKEN = TOKEN
