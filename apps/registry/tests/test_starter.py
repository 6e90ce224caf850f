"""Adding the starter model is idempotent: while the user's starter version is importing or
ready, asking again points at it instead of starting another 540 MB import, even when two
requests arrive at once; a failed import may be retried."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from apps.registry import services
from apps.registry.models import ModelVersion


@pytest.fixture
def imports(monkeypatch):
    """The versions whose import was enqueued (the import itself is not run)."""
    from apps.registry import tasks

    enqueued: list[int] = []
    monkeypatch.setattr(tasks.model_version_import_task, "delay", enqueued.append)
    return enqueued


@pytest.mark.django_db(transaction=True)
def test_a_second_click_points_at_the_import_in_progress_and_then_at_the_ready_model(
        make_user, api_client_for, imports):
    # given a first click
    owner = make_user()
    client = api_client_for(owner)
    first = client.post("/api/v1/model-versions/starter/")
    # when the user clicks again, while it imports and once it is ready
    again = client.post("/api/v1/model-versions/starter/")
    ModelVersion.objects.filter(pk=first.json()["id"]).update(status=ModelVersion.Status.READY)
    later = client.post("/api/v1/model-versions/starter/")
    # then one version and one import; the later answers say it already existed
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert (later.status_code, later.json()["created"], later.json()["status"]) == (200, False, "ready")
    assert first.json()["id"] == again.json()["id"] == later.json()["id"]
    assert first.json()["access_role"] == again.json()["access_role"] == "owner"
    assert imports == [first.json()["id"]]
    assert ModelVersion.objects.filter(owner=owner, source="starter").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_starter_import_can_be_retried_and_others_have_their_own(make_user, imports):
    # given a starter import that failed
    owner, other = make_user(), make_user()
    failed, _ = services.model_version_create_starter(user=owner)
    ModelVersion.objects.filter(pk=failed.pk).update(status=ModelVersion.Status.FAILED)
    # when
    retried, created = services.model_version_create_starter(user=owner)
    theirs, theirs_created = services.model_version_create_starter(user=other)
    # then
    assert created and retried.pk != failed.pk and retried.version == "1.1.0"
    assert theirs_created and theirs.owner_id == other.pk


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_start_one_import(make_user, imports):
    # given one request that has created the starter version but not committed yet
    owner = make_user()
    created, release, answers = threading.Event(), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                answers["first"] = services.model_version_create_starter(user=owner)
                created.set()
                release.wait(timeout=60)
        finally:
            connections.close_all()

    def second():
        try:
            created.wait(timeout=60)
            answers["second"] = services.model_version_create_starter(user=owner)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    # when the second request arrives meanwhile (it waits for the first, or does not)
    created.wait(timeout=60)
    while threads[1].is_alive() and not _waiting_on_a_lock():
        threads[1].join(timeout=0.01)
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    # then both answers are the one version, and one import started
    (version, first_created), (again, second_created) = answers["first"], answers["second"]
    assert first_created and not second_created and again.pk == version.pk
    assert imports == [version.pk]
