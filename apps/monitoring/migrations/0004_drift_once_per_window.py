"""A drift window is tested once per kind: results stored twice for one window (two
deliveries of the same check at once) keep the first, then the rule is a unique constraint."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0003_drift"),
    ]

    operations = [
        migrations.RunSQL(
            "DELETE FROM monitoring_driftresult later USING monitoring_driftresult earlier "
            "WHERE later.model_version_id = earlier.model_version_id AND later.kind = earlier.kind "
            "AND later.window_end = earlier.window_end AND later.id > earlier.id",
            migrations.RunSQL.noop,
        ),
        migrations.AddConstraint(
            model_name="driftresult",
            constraint=models.UniqueConstraint(fields=("model_version", "kind", "window_end"),
                                               name="monitoring_drift_once_per_window"),
        ),
    ]
