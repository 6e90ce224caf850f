"""Reads for datasets: what the requesting user may read (apps.core.access), each row with
the user's `access_role`."""

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope
from apps.quotas.accounts import account_for_user
from apps.quotas.selectors import storage_usage

from .models import Dataset, DatasetVersion


def dataset_list(*, user, scope: str | None = None) -> QuerySet[Dataset]:
    datasets = access_annotate(access_queryset(Dataset, user=user), user=user)
    # A subquery, not a GROUP BY: PostgreSQL then works out `access_role` (and the count) only
    # for the page's rows, after the sort and limit (benchmarks/access_overhead.py).
    versions = (DatasetVersion.objects.filter(dataset=OuterRef("pk")).order_by()
                .values("dataset").annotate(n=Count("pk")).values("n"))
    return access_scope(datasets, user=user, scope=scope).annotate(version_count=Coalesce(Subquery(versions), 0))


def dataset_get(*, user, dataset_id: int, action: Action = Action.READ) -> Dataset:
    """The dataset with its access_role and version_count; 404 if unreadable, 403 if
    readable but `action` is not allowed."""
    return access_get(dataset_list(user=user), user=user, pk=dataset_id, action=action)


def _versions(*, user) -> QuerySet[DatasetVersion]:
    return access_annotate(access_queryset(DatasetVersion, user=user), user=user)


def dataset_version_list(*, user, dataset: Dataset, scope: str | None = None) -> QuerySet[DatasetVersion]:
    # The lineage of the versions recipe runs made (apps.pipelines), for a whole page at once.
    return access_scope(_versions(user=user), user=user, scope=scope).filter(dataset=dataset).prefetch_related(
        "recipe_outputs__run__recipe_version__recipe")


def dataset_version_get(*, user, version_id: int, action: Action = Action.READ) -> DatasetVersion:
    return access_get(_versions(user=user).select_related("dataset"), user=user, pk=version_id, action=action)


def storage_usage_get(*, user) -> dict:
    """The user's own storage (every kind of file, not datasets only) and its limit."""
    usage = storage_usage(account_for_user(user))
    return {"used_bytes": usage.used, "quota_bytes": usage.limit}
