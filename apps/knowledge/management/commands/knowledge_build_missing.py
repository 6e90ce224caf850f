"""`manage.py knowledge_build_missing`: queue a graph build for every embedded document whose
graph was never built (documents embedded before knowledge graphs existed stay "pending")."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.knowledge.tasks import knowledge_document_extract_task
from apps.rag.models import Document


class Command(BaseCommand):
    help = "Queue graph builds for embedded documents whose knowledge graph is still pending."

    def handle(self, *args, **options):
        pending = list(
            Document.objects.filter(status=Document.Status.READY, graph_status=Document.GraphStatus.PENDING)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for document_id in pending:
            transaction.on_commit(lambda d=document_id: knowledge_document_extract_task.delay(d))
        self.stdout.write(f"{len(pending)} documents queued for a graph build.")
