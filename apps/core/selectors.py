"""Owner-scoped reads. Every query for user-owned rows goes through here, so another
user's id is indistinguishable from an id that does not exist (404, never 403)."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from .models import OwnedModel

M = TypeVar("M", bound=OwnedModel)


def owned_queryset(model: type[M] | QuerySet[M], *, user) -> QuerySet[M]:
    queryset = model if isinstance(model, QuerySet) else model.objects.all()
    if user is None or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(owner=user)


def owned_get(model: type[M] | QuerySet[M], *, user, pk) -> M:
    """The user's row with this id, or NotFound (a 404 in the API)."""
    queryset = owned_queryset(model, user=user)
    label = queryset.model._meta.verbose_name
    try:
        return queryset.get(pk=int(pk))
    except (ValueError, TypeError, queryset.model.DoesNotExist):
        raise NotFound(f"No {label} with id {pk}.") from None
