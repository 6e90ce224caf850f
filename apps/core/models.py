"""The owner-scoped base model every user-owned object inherits."""

from django.conf import settings
from django.db import models


class OwnedModel(models.Model):
    """A row that belongs to exactly one user; read it only through `apps.core.selectors`."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
