"""Writes for the feature store: asking for feature groups over a dataset version (computed
once and reused while their feature versions are current), the worker's materialization
into the version's folder with its statistics, and the comparison of two versions."""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.core.access import Action
from apps.core.leases import lease_take
from apps.core.notifications import notify_user
from apps.core.user_paths import error_text
from apps.datasets.models import DatasetVersion
from apps.datasets.selectors import dataset_version_get
from apps.quotas.accounts import account_of
from apps.quotas.storage import storage_check_room, storage_counting

from .inputs import version_texts
from .models import FeatureMaterialization
from .storage import features_dir, features_path

logger = logging.getLogger(__name__)
Status = FeatureMaterialization.Status
HEARTBEAT_EVERY_S = 10.0


def current_versions(group: str) -> dict[str, int]:
    from ml.data.features.registry import FEATURES, GROUPS

    return {name: FEATURES[name].version for name in GROUPS[group]}


@transaction.atomic
def features_request(*, user, version_id, groups: list[str]) -> list[FeatureMaterialization]:
    """Queues the groups not yet computed (or computed by an older feature version, or
    failed); those already done are kept and reused."""
    from ml.data.features.registry import GROUPS

    version = dataset_version_get(user=user, version_id=version_id, action=Action.RUN)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        raise ValidationError({"groups": [f"choose from {', '.join(GROUPS)}"]})
    if version.status != DatasetVersion.Status.VALID:
        raise ValidationError({"version": [f"the version is {version.status}; features need a valid one"]})
    storage_check_room(account_of(version))
    out = []
    for group in dict.fromkeys(groups):
        mat, created = FeatureMaterialization.objects.select_for_update().get_or_create(
            dataset_version=version, group=group, defaults={"owner": user})
        stale = mat.status == Status.FAILED or (
            mat.status == Status.SUCCEEDED and mat.feature_versions != current_versions(group))
        if created or stale:
            mat.status, mat.error, mat.owner = Status.QUEUED, "", user
            mat.save()
            _enqueue(mat)
        out.append(mat)
    return out


def _enqueue(mat: FeatureMaterialization) -> None:
    from .tasks import features_materialize_task

    transaction.on_commit(lambda: features_materialize_task.delay(mat.pk))


def features_materialize(*, materialization_id: int, execution_id: str) -> str:
    """Computes one group over the version's records. Idempotent: a finished one, or one
    another live execution holds, is left alone."""
    from ml.data.features.materialize import materialize, statistics

    if not lease_take(FeatureMaterialization, materialization_id, execution_id,
                      statuses=[Status.QUEUED, Status.RUNNING]):
        return FeatureMaterialization.objects.get(pk=materialization_id).status
    mat = FeatureMaterialization.objects.select_related("dataset_version__dataset").get(pk=materialization_id)
    version = mat.dataset_version
    FeatureMaterialization.objects.filter(pk=mat.pk).update(status=Status.RUNNING)
    versions = current_versions(mat.group)
    directory = features_dir(version)
    directory.mkdir(parents=True, exist_ok=True)
    last_beat = [time.monotonic()]

    def beat(rows: int) -> None:
        if time.monotonic() - last_beat[0] > HEARTBEAT_EVERY_S:
            last_beat[0] = time.monotonic()
            FeatureMaterialization.objects.filter(pk=mat.pk, lease_owner=execution_id).update(
                heartbeat_at=timezone.now(), rows=rows)

    try:
        # What the file takes counts against the version's account once written.
        with storage_counting(account_of(version), directory):
            rows = materialize(version_texts(version), list(versions), features_path(version, mat.group),
                               on_progress=beat)
        mat.statistics = statistics(features_path(version, mat.group))
        mat.rows, mat.feature_versions, mat.status, mat.error = rows, versions, Status.SUCCEEDED, ""
    except Exception as exc:
        logger.exception("features %s of dataset version %s failed", mat.group, version.pk)
        mat.status, mat.error = Status.FAILED, error_text(exc)
    with transaction.atomic():
        mat.lease_owner, mat.finished_at = "", timezone.now()
        mat.save(update_fields=["statistics", "rows", "feature_versions", "status", "error", "lease_owner",
                                "finished_at", "updated_at"])
        notify_user(user_id=mat.owner_id, event={
            "type": "features.materialized", "id": mat.pk, "dataset_version": version.pk, "group": mat.group,
            "status": mat.status})
    return mat.status


def features_compare(*, user, version_id, other_id) -> dict:
    """Per feature both versions have computed: whether its distribution shifted."""
    from ml.data.features.materialize import compare

    mine = dataset_version_get(user=user, version_id=version_id)
    other = dataset_version_get(user=user, version_id=other_id)
    done = FeatureMaterialization.Status.SUCCEEDED
    groups = set(mine.feature_materializations.filter(status=done).values_list("group", flat=True)) & set(
        other.feature_materializations.filter(status=done).values_list("group", flat=True))
    result: dict[str, dict] = {}
    for group in sorted(groups):
        result.update(compare(features_path(mine, group), features_path(other, group)))
    return result
