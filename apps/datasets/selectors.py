"""Reads for datasets, scoped to the requesting user."""

from django.conf import settings
from django.db.models import Count, QuerySet

from apps.core.selectors import owned_queryset

from .models import Dataset, DatasetVersion, StorageUsage


def dataset_list(*, user) -> QuerySet[Dataset]:
    # A counted (GROUP BY) query drops Meta.ordering; pages need a stable order.
    return (owned_queryset(Dataset, user=user).annotate(version_count=Count("versions"))
            .order_by(*Dataset._meta.ordering))


def dataset_version_list(*, user, dataset: Dataset) -> QuerySet[DatasetVersion]:
    return owned_queryset(DatasetVersion, user=user).filter(dataset=dataset)


def storage_usage_get(*, user) -> dict:
    usage = StorageUsage.objects.filter(owner=user).first()
    return {
        "used_bytes": usage.used_bytes if usage else 0,
        "quota_bytes": usage.quota_bytes if usage else settings.SLOUGHGPT_STORAGE_QUOTA_BYTES,
    }
