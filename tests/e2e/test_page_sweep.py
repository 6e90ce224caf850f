"""Every page a user can open, at a laptop (1366×768) and a desktop (1920×1080) size, with real
data behind it: no console error, no uncaught exception, no Content-Security-Policy violation,
and nothing wider than the window. A screenshot of each page is kept under
test-results/browser/. The sweep visits every page before failing, so one run names them all."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from apps.accounts import services as account_services
from apps.cards.models import Card, Deck
from apps.chat.models import Message
from apps.chat.tests.factories import conversation
from apps.endpoints.tests.factories import remote_endpoint
from apps.experiments.tests.factories import log_series, make_run
from apps.personalities.tests.factories import config_personality
from apps.rag import services as rag_services
from apps.rag.models import EMBEDDING_DIM, Chunk, Document
from apps.registry.tests.factories import ready_version, trained_run

from .conftest import log_in, off_the_browser_thread
from .page_problems import PageProblems

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"
VIEWPORTS = {"1366x768": {"width": 1366, "height": 768}, "1920x1080": {"width": 1920, "height": 1080}}
REPLY = """Here is what the document says, in short:

| step | loss |
|------|------|
| 0 | 4.20 |
| 100 | 2.31 |

```python
def perplexity(loss: float) -> float:
    return math.exp(loss)
```

A word longer than any window: """ + "antidisestablishmentarianism" * 20


@dataclass(frozen=True)
class Visit:
    name: str
    path: str
    # What shows once the page has its content; every app page has one level-1 heading.
    ready: str = "h1"


def seed(user) -> dict[str, int]:
    """One of everything: a valid dataset version, a finished training run with its metrics
    and a second run to compare it with, a ready model version, a conversation with messages,
    a collection with a document, an API token, a remote endpoint with long names, a deck with a
    due card."""
    training = trained_run(user)
    run = training.run
    other = make_run(user, experiment=run.experiment, name="baseline", params={"optim.lr": 3e-4})
    log_series(user, other, "train/loss", [4.0, 3.1, 2.6, 2.4])
    version = ready_version(user, name="poet", training_run=training)
    chat = conversation(user, version, title="About the run")
    Message.objects.create(owner=user, conversation=chat, role=Message.Role.USER,
                           content="How did the run go?")
    Message.objects.create(owner=user, conversation=chat, role=Message.Role.ASSISTANT, content=REPLY,
                           prompt_tokens=12, completion_tokens=40, tokens_per_s=80.0, ttft_ms=30.0)
    collection = rag_services.collection_create(user=user, name="notes")
    document = rag_services.document_upload(user=user, collection_id=collection.pk, uploaded=SimpleUploadedFile(
        "notes.txt", b"The run used a cosine schedule and finished in ten steps.", content_type="text/plain"))
    # Its one part as the embedding worker writes it, with a word longer than any window.
    Chunk.objects.create(owner=user, collection=collection, document=document, index=0,
                         text=f"{document.text} {'antidisestablishmentarianism' * 20}",
                         embedding=[1.0] + [0.0] * (EMBEDDING_DIM - 1))
    Document.objects.filter(pk=document.pk).update(status=Document.Status.READY, chunk_count=1)
    account_services.api_token_create(user=user, name="laptop")
    personality = config_personality(user, name="Tutor")
    remote_endpoint(user, "lab", base_url="https://models.example/" + "v1/" * 40,
                    models=("big", "org/" + "very-long-model-name-" * 8))
    deck = Deck.objects.create(owner=user, name="Run facts")
    Card.objects.create(owner=user, deck=deck, front="Which schedule did the run use? " + "cosine" * 40,
                        back="A cosine schedule.")
    return {
        "dataset": training.dataset_version.dataset_id, "dataset_version": training.dataset_version_id,
        "experiment": run.experiment_id, "run": run.pk, "other_run": other.pk,
        "model": version.registered_model_id, "model_version": version.pk, "conversation": chat.pk,
        "personality": personality.pk, "collection": collection.pk, "document": document.pk, "deck": deck.pk,
    }


def app_visits(ids: dict[str, int]) -> list[Visit]:
    return [
        Visit("dashboard", "/"),
        Visit("datasets", "/datasets"),
        Visit("dataset", f"/datasets?dataset={ids['dataset']}&version={ids['dataset_version']}"),
        Visit("experiments", "/experiments"),
        Visit("experiment", f"/experiments?experiment={ids['experiment']}"),
        Visit("experiment-filtered",
              "/experiments?" + urlencode({"experiment": ids["experiment"], "filter": "params.optim.lr > 1e-4"})),
        Visit("run", f"/experiments/runs/{ids['run']}"),
        Visit("compare", f"/experiments/compare?ids={ids['run']},{ids['other_run']}"),
        Visit("models", "/models"),
        Visit("model", f"/models?model={ids['model']}&version={ids['model_version']}"),
        Visit("documents", "/documents"),
        Visit("graph", f"/documents/collections/{ids['collection']}/graph"),
        Visit("document", f"/documents/{ids['document']}?chunk=0&start=4&end=30", ready="mark"),
        Visit("decks", "/decks"),
        Visit("deck", f"/decks/{ids['deck']}", ready="[data-testid=card-row]"),
        Visit("review", "/review", ready="[data-testid=card-front]"),
        Visit("review-stats", "/review/stats"),
        Visit("chat", f"/chat/{ids['conversation']}", ready="[data-testid=assistant-message]"),
        Visit("personalities", "/personalities"),
        Visit("personality", f"/personalities/{ids['personality']}", ready="[data-testid=trait-radar]"),
        Visit("settings", "/settings"),
        Visit("tokens", "/settings/tokens"),
        Visit("endpoints", "/endpoints", ready="[data-testid=endpoint-row]"),
        Visit("not-found", "/no-such-page"),
        Visit("admin", "/admin/", ready="#content"),
    ]


ACCOUNT_VISITS = [Visit("login", "/accounts/login/", ready="form"), Visit("signup", "/accounts/signup/", ready="form")]

OVERFLOW = """() => {
    const page = document.documentElement;
    return page.scrollWidth > page.clientWidth ? `${page.scrollWidth}px wide in a ${page.clientWidth}px window` : null;
}"""


@pytest.mark.parametrize("size", VIEWPORTS)
def test_every_page_renders_without_errors_or_sideways_scrolling(browser, site_url, make_user, size, screenshot_dir):
    # given a user with one of everything
    user = make_user(password=PASSWORD, is_staff=True, is_superuser=True)
    ids = off_the_browser_thread(seed, user)
    context = browser.new_context(base_url=site_url, viewport=VIEWPORTS[size])
    problems = PageProblems.watch(context)
    page = context.new_page()
    page.set_default_timeout(20_000)
    found: list[str] = []

    def visit(target: Visit) -> None:
        before = len(problems.all())
        page.goto(target.path)
        expect(page.locator(target.ready).first).to_be_visible()
        problems.settle(page)
        page.screenshot(path=str(screenshot_dir / f"{target.name}.png"), full_page=True)
        if overflow := page.evaluate(OVERFLOW):
            found.append(f"{target.name}: the page scrolls sideways ({overflow})")
        found.extend(f"{target.name}: {problem}" for problem in problems.all()[before:])

    try:
        # when every account page is opened signed out, then every app page and admin signed in
        for target in ACCOUNT_VISITS:
            visit(target)
        log_in(page, user.email, PASSWORD)
        for target in app_visits(ids):
            visit(target)
    finally:
        context.close()

    # then none of them showed a problem
    assert found == [], "\n".join(found)

