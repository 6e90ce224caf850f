"""A run's execution on the worker, as its owner sees it: the lease stays alive through a
phase that calls nothing back, and a run whose outputs outgrow the storage quota stops
while it writes them, with the quota named, instead of after filling the disk."""

from __future__ import annotations

import time

import pytest

import ml.data.pipeline
import ml.data.pipeline.runner
from apps.datasets.models import Dataset
from apps.pipelines import services
from apps.pipelines.models import RecipeRun
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used
from apps.quotas.tests.factories import override

from .factories import jsonl, recipe, valid_version


def _heartbeat(run_id: int):
    return RecipeRun.objects.filter(pk=run_id).values_list("heartbeat_at", flat=True).get()


@pytest.mark.django_db(transaction=True)  # the heartbeat thread reads the run on its own connection
def test_the_lease_is_kept_alive_through_a_phase_that_reports_nothing(make_user, monkeypatch):
    # given: a run whose pipeline first works a while without calling back (a mix's counting pass)
    user = make_user()
    version = valid_version(user, jsonl([{"text": "Some words to keep in the output."}]))
    run = services.recipe_run_create(user=user, recipe_id=recipe(user).pk, input_ids=[version.pk],
                                     output_name="kept")
    real_run_recipe = ml.data.pipeline.run_recipe
    beats_seen = []

    def quiet_then_run(*args, **kwargs):
        taken = _heartbeat(run.pk)
        for _ in range(200):  # waits for a beat, or gives up after about ten seconds
            if _heartbeat(run.pk) != taken:
                beats_seen.append(True)
                break
            time.sleep(0.05)
        return real_run_recipe(*args, **kwargs)

    monkeypatch.setattr(ml.data.pipeline, "run_recipe", quiet_then_run)
    monkeypatch.setattr(services, "HEARTBEAT_EVERY_S", 0.02)
    # when
    status = services.recipe_run_execute(run_id=run.pk, execution_id="test")
    # then
    assert status == "succeeded", RecipeRun.objects.get(pk=run.pk).error
    assert beats_seen == [True]


@pytest.mark.django_db
def test_a_run_outgrowing_the_storage_quota_stops_while_it_writes(make_user, monkeypatch):
    # given: room for about one record of output, and a long input
    user = make_user()
    count = 5000
    version = valid_version(user, jsonl([{"text": f"Line number {i} of a long file."} for i in range(count)]))
    run = services.recipe_run_create(user=user, recipe_id=recipe(user).pk, input_ids=[version.pk],
                                     output_name="too big")
    used = storage_used(account_for_user(user))
    override(user=user, storage_bytes=used + 100)
    monkeypatch.setattr(services, "WORK_CHARGE_STEP", 1)
    monkeypatch.setattr(services, "PROGRESS_EVERY_S", 0)
    monkeypatch.setattr(ml.data.pipeline.runner, "PROGRESS_SECONDS", 0)
    # when
    status = services.recipe_run_execute(run_id=run.pk, execution_id="test")
    # then: it stopped early, said why, kept nothing and gave back what its work folder held
    shown = RecipeRun.objects.get(pk=run.pk)
    assert status == "failed"
    assert "storage quota" in shown.error
    assert shown.progress.get("records_in", 0) < count
    assert not Dataset.objects.filter(name="too big").exists()
    assert storage_used(account_for_user(user)) == used
