"""Creates Optuna's study tables in this database, once (apps.sweeps.study)."""

from django.db import migrations


def create_tables(apps, schema_editor):
    from apps.sweeps.study import tables_create

    tables_create(schema_editor.connection.settings_dict)


class Migration(migrations.Migration):
    dependencies = [("sweeps", "0001_initial")]
    operations = [migrations.RunPython(create_tables, migrations.RunPython.noop)]
