"""A neural version's training belongs to one execution: a duplicate delivery while it
trains does nothing, a failure never overwrites a version another execution finished, and a
personality deleted while it trains leaves no files behind."""

import pytest
from django.db import connections

from apps.personalities import services, storage
from apps.personalities.models import PersonalityVersion

from .factories import CHEERFUL

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _neural(owner) -> PersonalityVersion:
    personality = services.personality_create_neural(user=owner, name="Fan", examples=CHEERFUL[:12], epochs=1)
    return personality.current_version


def test_a_duplicate_delivery_while_another_execution_trains_does_nothing(owner, monkeypatch):
    # given another worker holds the version's training (its own database session)
    version = _neural(owner)
    fitted = []
    monkeypatch.setattr("ml.personality.neural.NeuralPersonaSpace.fit", lambda *a, **k: fitted.append(1))
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [services.TRAIN_CLAIM_LOCK, version.pk])
        # when the task is delivered a second time
        result = services.personality_version_train(version_id=version.pk)
    finally:
        other.close()
    # then
    assert fitted == [] and result.status == "training"


def test_a_failure_after_another_execution_finished_keeps_the_ready_version(owner, monkeypatch):
    # given
    version = _neural(owner)

    def finished_elsewhere_then_fails(*args, **kwargs):
        PersonalityVersion.objects.filter(pk=version.pk).update(status="ready", progress=1.0)
        raise RuntimeError("out of memory")

    monkeypatch.setattr("ml.personality.neural.NeuralPersonaSpace.fit", finished_elsewhere_then_fails)
    # when
    services.personality_version_train(version_id=version.pk)
    # then
    version.refresh_from_db()
    assert version.status == "ready" and version.error == ""


@pytest.mark.slow
def test_a_personality_deleted_while_it_trains_leaves_no_files(owner, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    # given
    from ml.personality.neural import NeuralPersonaSpace

    version = _neural(owner)
    fit = NeuralPersonaSpace.fit.__func__

    def deleted_meanwhile(cls, *args, **kwargs):
        space = fit(cls, *args, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            services.personality_delete(user=owner, personality_id=version.personality_id)
        return space

    monkeypatch.setattr(NeuralPersonaSpace, "fit", classmethod(deleted_meanwhile))
    # when
    services.personality_version_train(version_id=version.pk)
    # then
    assert not storage.version_dir(owner.pk, version.pk).exists()
    assert not PersonalityVersion.objects.filter(pk=version.pk).exists()
