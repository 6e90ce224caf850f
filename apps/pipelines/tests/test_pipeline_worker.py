"""Recipes and features on a real Celery worker: a three-step run reports per step and leaves a validated dataset version with its lineage; re-running
lands in the same output dataset; the owner hears a run's progress and end on the
notifications socket; basic features are materialized with statistics;
a run cancelled while it streams stops and makes no dataset."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from apps.accounts.services import api_token_create
from apps.datasets.models import Dataset, DatasetVersion
from apps.pipelines import services
from apps.pipelines.models import FeatureMaterialization, RecipeRun
from sloughgpt_site.asgi import application

from .factories import jsonl, recipe, valid_version

pytestmark = [pytest.mark.worker, pytest.mark.slow]

STEPS = [{"type": "normalize"}, {"type": "length_filter", "min": 10}, {"type": "dedup_exact"}]


def _wait(model, pk: int, statuses: tuple[str, ...], timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = model.objects.get(pk=pk)
        if row.status in statuses:
            return row
        time.sleep(0.3)
    raise AssertionError(f"{model.__name__} {pk} is {row.status}: {getattr(row, 'error', '')}")


async def _socket(user) -> WebsocketCommunicator:
    created = await sync_to_async(api_token_create)(user=user, name="ws")
    socket = WebsocketCommunicator(application, "/ws/notifications/", headers=[
        (b"host", b"localhost"), (b"origin", b"http://localhost"),
        (b"authorization", f"Bearer {created.secret}".encode())])
    connected, _ = await socket.connect()
    assert connected
    return socket


def test_a_three_step_run_makes_a_validated_version_with_its_lineage_and_reruns(
        celery_worker_process, make_user, api_client_for):
    # given
    user = make_user()
    records = [{"text": "  The same   line, twice over.  "}, {"text": "The same line, twice over."},
               {"text": "tiny"}, {"text": "A different line that stays in."}]
    version = valid_version(user, jsonl(records))
    made = recipe(user, steps=STEPS)
    client = api_client_for(user)
    # when
    started = client.post(f"/api/v1/recipes/{made.pk}/runs/", {"inputs": [version.pk], "output_name": "clean"},
                          format="json")
    run = _wait(RecipeRun, started.json()["id"], ("succeeded", "failed"))
    output = run.outputs.get()
    made_version = _wait(DatasetVersion, output.dataset_version_id, ("valid", "invalid"))
    again = client.post(f"/api/v1/recipe-runs/{run.pk}/rerun/").json()
    rerun = _wait(RecipeRun, again["id"], ("succeeded", "failed"))
    # then
    assert started.status_code == 202
    assert run.status == "succeeded", run.error
    assert [(s["type"], s["records_in"], s["records_out"]) for s in run.report["steps"]] == [
        ("normalize", 4, 4), ("length_filter", 4, 3), ("dedup_exact", 3, 2)]
    assert made_version.status == "valid" and made_version.report["records"] == 2
    shown = client.get(f"/api/v1/dataset-versions/{made_version.pk}/").json()
    assert shown["lineage"]["run"] == run.pk and shown["lineage"]["inputs"][0]["id"] == version.pk
    # the same output again is the same content: the re-run lands in the same dataset
    assert rerun.status == "succeeded"
    assert rerun.outputs.get().dataset_version.dataset_id == made_version.dataset_id
    assert Dataset.objects.filter(owner=user, name="clean").count() == 1


@pytest.mark.asyncio
async def test_the_owner_hears_a_runs_progress_and_its_end(celery_worker_process, make_user, api_client_for):
    # given
    user = await sync_to_async(make_user)()
    version = await sync_to_async(valid_version)(user, jsonl([{"text": f"Line {i} of the file."} for i in range(50)]))
    made = await sync_to_async(recipe)(user, steps=STEPS)
    socket = await _socket(user)
    client = await sync_to_async(api_client_for)(user)
    # when
    started = await sync_to_async(client.post)(
        f"/api/v1/recipes/{made.pk}/runs/", {"inputs": [version.pk], "output_name": "heard"}, format="json")
    run_id, events = started.json()["id"], []
    while not any(e["type"] == "recipe_run.finished" and e["id"] == run_id for e in events):
        events.append(await socket.receive_json_from(timeout=120))
    await socket.disconnect()
    # the consumer's database thread keeps a connection that would block the test database's teardown
    await sync_to_async(connections.close_all)()
    # then
    mine = [e for e in events if e.get("id") == run_id]
    progress = [e for e in mine if e["type"] == "recipe_run.progress"]
    assert progress and progress[-1]["fraction"] == 1 and progress[-1]["records_in"] == 50
    assert mine[-1] == {"type": "recipe_run.finished", "id": run_id, "status": "succeeded"}


def test_basic_features_are_materialized_on_the_worker(celery_worker_process, make_user, api_client_for):
    # given
    user = make_user()
    version = valid_version(user, jsonl([{"text": "Hello there, friend."}, {"text": "Bonjour mes amis, ça va?"}]))
    client = api_client_for(user)
    # when
    asked = client.post(f"/api/v1/dataset-versions/{version.pk}/features/", {"groups": ["basic"]}, format="json")
    done = _wait(FeatureMaterialization, asked.json()[0]["id"], ("succeeded", "failed"))
    # then
    assert done.status == "succeeded", done.error
    shown = client.get(f"/api/v1/dataset-versions/{version.pk}/features/").json()[0]
    assert shown["rows"] == 2
    assert {t["value"] for t in shown["statistics"]["language"]["top"]} == {"en", "fr"}


def test_a_run_cancelled_while_it_streams_stops_and_makes_no_dataset(db, make_user, monkeypatch):
    # given: a run whose first progress report asks it to stop, checked at once
    user = make_user()
    version = valid_version(user, jsonl([{"text": f"Line number {i} of a long file."} for i in range(20000)]))
    made = recipe(user, steps=STEPS)
    run = services.recipe_run_create(user=user, recipe_id=made.pk, input_ids=[version.pk], output_name="never")
    report_progress = services._Reporter.on_progress

    def progress_then_cancel(self, event):
        report_progress(self, event)
        RecipeRun.objects.filter(pk=self.run.pk).update(cancel_requested=True)

    monkeypatch.setattr(services._Reporter, "on_progress", progress_then_cancel)
    monkeypatch.setattr(services, "CANCEL_CHECK_EVERY_S", 0)
    # when
    status = services.recipe_run_execute(run_id=run.pk, execution_id="test")
    # then
    assert status == "cancelled"
    assert RecipeRun.objects.get(pk=run.pk).status == "cancelled"
    assert not Dataset.objects.filter(name="never").exists()
