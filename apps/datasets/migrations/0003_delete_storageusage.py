"""Storage use is counted per account for every kind of file by apps.quotas (StorageUsage there)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('datasets', '0002_dataset_team'),
        ('quotas', '0003_initial_storage_usage'),
    ]

    operations = [
        migrations.DeleteModel(
            name='StorageUsage',
        ),
    ]
