"""An import whose worker keeps dying (the OOM killer on a big model, the hard time limit) is
redelivered a bounded number of times and then fails with the reason; a duplicate delivery
leaves a live execution alone."""

import pytest
from django.utils import timezone

from apps.registry import services
from apps.registry.import_lease import IMPORT_ATTEMPTS
from apps.registry.models import ModelVersion

from .factories import trained_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def importing(make_user, settings, tmp_path):
    """A version registered from a training run, its import not run yet."""
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user()
    return services.model_version_create_from_training_run(user=user, training_run_id=trained_run(user).pk,
                                                            name="poet")


def test_an_import_that_keeps_killing_its_worker_fails_with_the_reason(importing, monkeypatch):
    # given a conversion that kills the worker every time
    def killed(*args, **kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr("ml.sou.convert.import_model", killed)
    # when the message is delivered again and again (it keeps its task id)
    for _ in range(IMPORT_ATTEMPTS):
        with pytest.raises(SystemExit):
            services.model_version_import(version_id=importing.pk, execution_id="task-1")
    version = services.model_version_import(version_id=importing.pk, execution_id="task-1")
    # then it ran a bounded number of times and failed saying why
    assert version.status == "failed"
    assert ModelVersion.objects.get(pk=importing.pk).error == (
        f"the worker stopped while importing ({IMPORT_ATTEMPTS} times)")


def test_a_duplicate_import_leaves_a_live_execution_alone(importing):
    # given an import a live execution holds
    ModelVersion.objects.filter(pk=importing.pk).update(lease_owner="task-live", heartbeat_at=timezone.now())
    # when a duplicate delivery with another task id runs, and then the holder's own
    duplicate = services.model_version_import(version_id=importing.pk, execution_id="task-duplicate")
    holder = services.model_version_import(version_id=importing.pk, execution_id="task-live")
    # then the duplicate did nothing and the holder made it ready
    assert duplicate.status == "importing"
    assert holder.status == "ready", holder.error
