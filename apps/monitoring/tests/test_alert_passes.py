"""The chain of alert passes (apps.core.periodic): however often it is started, and whatever
stray copies of a pass the broker hands out again, one pass waits at a time; a pass that could
not be queued does not block the next start."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from kombu.exceptions import OperationalError

from apps.monitoring.alert_evaluate import PASS_KEY, alerts_evaluate_schedule
from apps.monitoring.models import AlertEvent
from apps.monitoring.tasks import _alert_passes_start, alerts_evaluate_task

from .drift_factories import model_version
from .test_alerts import create_rule, served

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The passes queued (their task ids), instead of sent to the broker."""
    cache.delete(PASS_KEY)
    ids: list[str] = []
    monkeypatch.setattr(alerts_evaluate_task, "apply_async",
                        lambda countdown, task_id: ids.append(task_id))
    yield ids
    cache.delete(PASS_KEY)


@pytest.fixture
def firing_rule(make_user, api_client_for, queued):
    """A rule that holds (its version served 3 requests, the threshold is 1)."""
    owner = make_user()
    version = model_version(owner)
    served(version, ok=3)
    rule = create_rule(api_client_for(owner), name="busy", model_version=version.pk, series="requests", threshold=1)
    queued.clear()
    cache.delete(PASS_KEY)
    return rule


def test_two_starts_and_a_stray_copy_collapse_into_one_chain(firing_rule, queued):
    # given the chain started twice (a worker starting, a rule saved)
    _alert_passes_start()
    alerts_evaluate_schedule()
    [waiting] = queued
    # when a stray copy of an older pass arrives (a killed worker's message, handed out again)
    alerts_evaluate_task.apply(task_id="stray-copy")
    # then it neither evaluated the rules nor queued another pass
    assert not AlertEvent.objects.filter(rule_id=firing_rule["id"]).exists()
    assert queued == [waiting]
    # when the waiting pass runs
    alerts_evaluate_task.apply(task_id=waiting)
    # then it evaluated the rules and queued exactly one next pass
    assert AlertEvent.objects.filter(rule_id=firing_rule["id"]).count() == 1
    assert len(queued) == 2 and queued[1] != waiting
    # and the one it replaced, arriving again, does nothing
    alerts_evaluate_task.apply(task_id=waiting)
    assert len(queued) == 2


def test_a_pass_that_could_not_be_queued_does_not_block_the_next_start(firing_rule, queued, monkeypatch):
    # given the broker refusing a message once
    def refuse(countdown, task_id):
        raise OperationalError("broker unreachable")

    monkeypatch.setattr(alerts_evaluate_task, "apply_async", refuse)
    with pytest.raises(OperationalError):
        alerts_evaluate_schedule()
    # when the broker is back and the chain is started again (a worker start, a frequent task)
    monkeypatch.setattr(alerts_evaluate_task, "apply_async", lambda countdown, task_id: queued.append(task_id))
    alerts_evaluate_schedule()
    # then a pass is waiting
    assert len(queued) == 1


def test_no_pass_is_queued_while_no_rule_is_enabled(make_user, api_client_for, queued):
    owner = make_user()
    version = model_version(owner)
    rule = create_rule(api_client_for(owner), name="off", model_version=version.pk, series="requests",
                       enabled=False)
    _alert_passes_start()
    assert rule["enabled"] is False and queued == []
