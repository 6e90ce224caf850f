"""Redelivered application and evaluation tasks (acks_late: a worker lost mid-task, or a
duplicate message), run in-process twice on a tiny model: a finished one is left as it is,
and an application that stopped after registering its result resumes at its evaluation
without registering a second model version."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.leases import LEASE_TIMEOUT
from apps.personalities import evaluations, storage
from apps.personalities.applications import options_clean, personality_application_execute
from apps.personalities.evaluations import personality_evaluation_execute
from apps.personalities.models import Personality, PersonalityApplication, PersonalityEvaluation
from apps.registry import storage as registry_storage
from apps.registry.models import ModelVersion

from .factories import tiny_model_version

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
OPTIONS = {"probes": 2, "max_tokens": 4}


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _cheerful_version():
    return Personality.objects.get(owner=None, archetype="cheerful enthusiast").current_version


def _applied(owner) -> PersonalityApplication:
    """A system-prompt application of the cheerful built-in, run to the end once."""
    application = PersonalityApplication.objects.create(
        owner=owner, model_version=tiny_model_version(owner), personality_version=_cheerful_version(),
        method=PersonalityApplication.Method.PROMPT, options=options_clean("prompt", OPTIONS))
    personality_application_execute(application_id=application.pk, execution_id="first")
    application.refresh_from_db()
    assert application.status == "ready", application.error
    return application


def _died_while_evaluating(application: PersonalityApplication) -> None:
    """What a worker lost during the evaluation leaves: both rows running under its lease,
    whose heartbeat stopped longer ago than the lease timeout, and no report yet."""
    stale = timezone.now() - LEASE_TIMEOUT - timedelta(seconds=1)
    PersonalityApplication.objects.filter(pk=application.pk).update(
        status="running", stage="evaluating", progress=0.6, finished_at=None, heartbeat_at=stale)
    PersonalityEvaluation.objects.filter(pk=application.evaluation_id).update(
        status="running", progress=0.1, report={}, has_chart=False, finished_at=None, heartbeat_at=stale)


def _snapshot(row) -> dict:
    row.refresh_from_db()
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


def test_a_second_delivery_of_a_finished_application_changes_nothing(owner):
    # given
    application = _applied(owner)
    evaluation = application.evaluation
    before = _snapshot(application), _snapshot(evaluation)
    versions = ModelVersion.objects.count()
    # when the same task is delivered again
    personality_application_execute(application_id=application.pk, execution_id="first")
    # then
    assert (_snapshot(application), _snapshot(evaluation)) == before
    assert ModelVersion.objects.count() == versions


def test_an_application_stopped_after_registering_resumes_at_its_evaluation(owner):
    # given
    application = _applied(owner)
    result = application.result_version
    result_sha = result.sha256
    _died_while_evaluating(application)
    versions = ModelVersion.objects.count()
    # when the task is redelivered to another worker
    personality_application_execute(application_id=application.pk, execution_id="second")
    # then the same result is evaluated again and no second version is registered
    application.refresh_from_db()
    evaluation = application.evaluation
    assert application.status == "ready" and application.attempts == 2, application.error
    assert application.result_version_id == result.pk and ModelVersion.objects.count() == versions
    assert evaluation.status == "ready" and evaluation.lease_owner == "second"
    assert evaluation.report["probe_ids"] == application.options["probe_ids"]
    assert len(evaluation.report["answers"]) == len(application.options["probe_ids"])
    assert registry_storage.canonical_sou(owner.pk, result.pk).exists()
    result.refresh_from_db()
    assert result.sha256 == result_sha and result.status == "ready"


def test_a_result_committed_before_its_file_moved_gets_its_file_on_redelivery(owner):
    # given a worker lost between the registration's commit and the move of its file
    application = _applied(owner)
    result = application.result_version
    canonical = registry_storage.canonical_sou(owner.pk, result.pk)
    out = storage.application_dir(owner.pk, application.pk) / "model.sou"
    out.parent.mkdir(parents=True, exist_ok=True)
    canonical.rename(out)
    ModelVersion.objects.filter(pk=result.pk).update(status="importing")
    _died_while_evaluating(application)
    # when
    personality_application_execute(application_id=application.pk, execution_id="second")
    # then
    application.refresh_from_db()
    result.refresh_from_db()
    assert application.status == "ready", application.error
    assert result.status == "ready" and canonical.exists() and canonical.stat().st_size == result.size_bytes
    assert application.evaluation.status == "ready"


def test_a_second_delivery_of_a_finished_evaluation_changes_nothing(owner):
    # given
    evaluation = evaluations.evaluation_create(
        user=owner, version=tiny_model_version(owner), personality_version=_cheerful_version(),
        probe_ids=[0, 30], max_tokens=4, enqueue=False)
    personality_evaluation_execute(evaluation_id=evaluation.pk, execution_id="first")
    before = _snapshot(evaluation)
    assert before["status"] == "ready", before["error"]
    # when the same task is delivered again, and once more as another delivery
    personality_evaluation_execute(evaluation_id=evaluation.pk, execution_id="first")
    personality_evaluation_execute(evaluation_id=evaluation.pk, execution_id="second")
    # then
    assert _snapshot(evaluation) == before
