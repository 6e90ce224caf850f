"""Headless Chromium (Debian's package) driven by Playwright against the live server."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (reading the outbox, factories) are still plain synchronous code. Processes
# that check deployment settings drop this variable again (tests/test_deploy_settings.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Chromium is not installed; `make test` installs Debian's `chromium` package.")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path):
    # Module scope: Playwright's sync API keeps an event loop running in this thread while
    # it is open, which would break the asyncio tests that run after the browser tests.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("The frontend is not built; `make test` builds it first.")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot_dir(request) -> Path:
    directory = ROOT / "test-results" / "browser" / request.node.name
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def live_stack(transactional_db, tmp_path):
    """The whole product as it runs in production: daphne (HTTP and WebSockets), a worker
    for `default` and `train`, and a thread-pool worker for `inference`, all on the test
    database, Redis and files. Yields the base URL."""
    from django.conf import settings

    from sloughgpt_site.celery import app
    from tests.processes import celery_worker, daphne_server

    var_dir = Path(settings.MEDIA_ROOT).parent
    app.control.purge()
    with (
        celery_worker(var_dir, tmp_path / "worker.log", queues="default,train"),
        celery_worker(var_dir, tmp_path / "inference.log", queues="inference", pool="threads",
                      concurrency=4, extra_env={"OMP_NUM_THREADS": "1"}),
        daphne_server(var_dir, tmp_path / "daphne.log") as url,
    ):
        yield url


@pytest.fixture
def site_url(transactional_db, tmp_path):
    """daphne alone (HTTP and WebSockets, no workers) on the test database, for pages whose
    data the test writes itself. Yields the base URL."""
    from django.conf import settings

    from tests.processes import daphne_server

    with daphne_server(Path(settings.MEDIA_ROOT).parent, tmp_path / "daphne.log") as url:
        yield url


@pytest.fixture
def stack_page(browser, live_stack):
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        pytest.fail("The frontend is not built; `make test` builds it first.")
    context = browser.new_context(base_url=live_stack, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def off_the_browser_thread(setup, *args):
    """`setup(*args)` in a thread of its own, its database connection closed after: Playwright's
    event loop runs in the test's thread, and services send their live events through
    async_to_sync, which refuses to run inside one."""
    from django.db import connections

    def run():
        try:
            return setup(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form").locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
