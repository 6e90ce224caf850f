"""Entities keep their number of edges (for the graph view's best-connected nodes) and belong
to their collection's owner; existing rows are brought in line."""

from django.conf import settings
from django.db import migrations, models

BACKFILL = """
    UPDATE knowledge_entity e SET owner_id = c.owner_id FROM rag_collection c
    WHERE c.id = e.collection_id AND e.owner_id <> c.owner_id;
    UPDATE knowledge_entity e SET degree =
        (SELECT count(*) FROM knowledge_relation r WHERE r.subject_id = e.id)
        + (SELECT count(*) FROM knowledge_relation r WHERE r.object_id = e.id);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('knowledge', '0001_initial'),
        ('rag', '0004_document_entity_count_document_graph_status_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='entity',
            name='degree',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='entity',
            index=models.Index(fields=['collection', '-degree'], name='knowledge_entity_coll_degree'),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
