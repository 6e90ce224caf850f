"""The dispatcher against the real database: global slots, per-account caps, accounts taking
turns, a lost hand-over freeing its slot, each waiting run's place in line, and concurrent
passes never handing out more slots than there are."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.quotas.limits import limits_invalidate
from apps.quotas.tests.factories import override
from apps.training import services
from apps.training.dispatch import DISPATCH_DEADLINE, dispatch
from apps.training.models import TrainingRun

from .factories import tiny_config, valid_dataset_version

URL = "/api/v1/training-runs/"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _queued(user, version=None):
    version = version or valid_dataset_version(user)
    return services.training_run_create(user=user, dataset_version_id=version.pk, config=tiny_config())


def _handed_over() -> set[int]:
    return set(TrainingRun.objects.exclude(dispatch_id="").values_list("pk", flat=True))


@pytest.mark.django_db
def test_an_account_at_its_cap_waits_while_others_take_the_free_slots(make_user, media, settings):
    # given three slots; A may run one run at a time and queues two, B queues one
    settings.SLOUGHGPT_TRAIN_SLOTS = 3
    a, b = make_user(), make_user()
    override(user=a, concurrent_runs=1)
    limits_invalidate()
    a1, a2, b1 = _queued(a), _queued(a), _queued(b)
    # when
    first = dispatch()
    # then A's second run waits though a slot is free
    assert first == [a1.pk, b1.pk]
    # when B queues another run
    b2 = _queued(b)
    second = dispatch()
    # then B's takes the free slot, and A's second still waits for A's first
    assert second == [b2.pk]
    assert a2.pk not in _handed_over()


@pytest.mark.django_db
def test_accounts_take_turns_and_a_queued_run_knows_its_place(make_user, media, settings, api_client_for):
    # given one slot; A queued three runs before B queued one
    settings.SLOUGHGPT_TRAIN_SLOTS = 1
    a, b = make_user(), make_user()
    a_runs = [_queued(a) for _ in range(3)]
    b1 = _queued(b)
    # when A's first run is handed over
    assert dispatch() == [a_runs[0].pk]
    # then B's run is next in line, ahead of A's other two
    places = {row["id"]: row["runs_ahead"] for row in api_client_for(a).get(URL).json()["results"]}
    assert places == {a_runs[0].pk: None, a_runs[1].pk: 1, a_runs[2].pk: 2}
    assert api_client_for(b).get(f"{URL}{b1.pk}/").json()["runs_ahead"] == 0
    # when A's first run ends
    services.training_run_cancel(user=a, training_run_id=a_runs[0].pk)
    # then B's run is handed over next
    assert dispatch() == [b1.pk]


@pytest.mark.django_db
def test_a_hand_over_that_never_started_frees_its_slot_at_the_deadline(make_user, media, settings):
    # given one slot, handed to a run whose task never reached a worker
    settings.SLOUGHGPT_TRAIN_SLOTS = 1
    user = make_user()
    lost, waiting = _queued(user), _queued(user)
    assert dispatch() == [lost.pk]
    assert dispatch() == []
    lost.refresh_from_db()
    stale_task = lost.dispatch_id
    # when the deadline passes
    TrainingRun.objects.filter(pk=lost.pk).update(dispatched_at=timezone.now() - DISPATCH_DEADLINE - timedelta(seconds=1))
    # then the run is handed over again, under a new task id
    assert dispatch() == [lost.pk]
    lost.refresh_from_db()
    assert lost.dispatch_id != stale_task
    # and the lost task, turning up late, does nothing
    status = services.training_run_execute(training_run_id=lost.pk, execution_id=stale_task, dispatch_id=stale_task)
    assert status == "queued" and TrainingRun.objects.get(pk=lost.pk).step == 0
    assert waiting.pk not in _handed_over()


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatch_passes_never_hand_out_more_slots_than_there_are(make_user, media, settings):
    # given nine waiting runs of three users (queued while there were no slots), then two slots
    settings.SLOUGHGPT_TRAIN_SLOTS = 0
    for user in (make_user(), make_user(), make_user()):
        version = valid_dataset_version(user)
        for _ in range(3):
            _queued(user, version)
    settings.SLOUGHGPT_TRAIN_SLOTS = 2
    start = threading.Barrier(8)
    handed: list[int] = []

    def one_pass():
        try:
            start.wait()
            handed.extend(dispatch())
        finally:
            connection.close()

    # when eight passes run at once, each on its own connection
    threads = [threading.Thread(target=one_pass) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then two runs were handed over, once each
    assert len(handed) == 2 and len(set(handed)) == 2
    assert len(_handed_over()) == 2
