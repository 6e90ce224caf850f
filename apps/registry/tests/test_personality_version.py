"""Registering the file a personality application wrote as a new model version: the file
reaches the version's folder only when the row commits, so a rolled-back registration
leaves no orphan file, and a committed one is ready with its file in place."""

import pytest
from django.db import transaction

from apps.chat.tests.factories import write_tiny_sou
from apps.personalities.models import Personality
from apps.personalities.tests.factories import tiny_model_version
from apps.registry import services, storage
from apps.registry.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _register(base, sou_path):
    cheerful = Personality.objects.get(owner=None, archetype="cheerful enthusiast")
    return services.model_version_create_with_personality(
        user=base.owner, base_version=base, personality_version=cheerful.current_version, sou_path=sou_path)


def test_a_rolled_back_registration_leaves_no_file_in_a_version_folder(owner, tmp_path):
    # given a file an application wrote, and a registration whose transaction then fails
    base = tiny_model_version(owner)
    written = write_tiny_sou(tmp_path / "work" / "model.sou")
    registered = {}
    # when
    with pytest.raises(RuntimeError), transaction.atomic():
        registered["version"] = _register(base, written)
        raise RuntimeError("the application's row could not be written")
    # then no version, no folder for it, and the file is still the application's to clean up
    version_id = registered["version"].pk
    assert not ModelVersion.objects.filter(pk=version_id).exists()
    assert not storage.version_dir(owner.pk, version_id).exists()
    assert written.exists()


def test_a_committed_registration_is_ready_with_its_file(owner, tmp_path, django_capture_on_commit_callbacks):
    # given
    base = tiny_model_version(owner)
    written = write_tiny_sou(tmp_path / "work" / "model.sou")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        version = _register(base, written)
    # then
    version.refresh_from_db()
    canonical = storage.canonical_sou(owner.pk, version.pk)
    assert version.status == ModelVersion.Status.READY and version.base_version_id == base.pk
    assert canonical.exists() and canonical.stat().st_size == version.size_bytes
    assert version.architecture["n_layer"] == 2 and version.parameters > 0
    assert not written.exists()
