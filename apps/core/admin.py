"""Admin pieces every app's admin uses: a read-only admin for rows the platform derives (metric
summaries, points and rollups, document chunks, log lines), which staff may look at but
whose edits would break what derived them, and a paginator that estimates the row count of a
large unfiltered table instead of counting millions of rows on every page."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Uses PostgreSQL's row estimate for an unfiltered table of more than `EXACT_BELOW` rows."""

    EXACT_BELOW = 100_000

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                               [self.object_list.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] >= self.EXACT_BELOW:
                return row[0]
        return super().count


class DerivedRowAdmin(admin.ModelAdmin):
    """View-only: the rows are written and kept consistent by the platform."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
