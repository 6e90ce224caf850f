"""Storage usage of existing installs: what each account's files take on disk now, every
kind counted (before, only dataset files were)."""

from django.db import migrations


def compute_usage(apps, schema_editor):
    from apps.quotas.storage import storage_recompute

    storage_recompute(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [
        ("quotas", "0002_default_plan"),
        ("datasets", "0002_dataset_team"),
        ("registry", "0003_registeredmodel_team"),
        ("experiments", "0004_experiment_team"),
        ("training", "0005_trainingrun_cut_examples_dropped_pairs"),
        ("rag", "0002_collection_team"),
        ("personalities", "0004_personality_team"),
    ]
    operations = [migrations.RunPython(compute_usage, migrations.RunPython.noop)]
