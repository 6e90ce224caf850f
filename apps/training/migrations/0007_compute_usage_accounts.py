"""Compute usage records whom it was charged to when measured (the account, a team or a user,
and the user who queued the run) and outlives its run. Rows measured before this say what
their run's experiment and owner are now."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _charged(apps, schema_editor):
    usage = apps.get_model("training", "TrainingComputeUsage")
    for row in usage.objects.select_related("training_run__run__experiment"):
        experiment = row.training_run.run.experiment
        row.user_id = row.training_run.owner_id
        if experiment.team_id is not None:
            row.team_id = experiment.team_id
        else:
            row.account_user_id = experiment.owner_id
        row.save(update_fields=["user", "team", "account_user"])


class Migration(migrations.Migration):

    dependencies = [
        ('teams', '0001_initial'),
        ('training', '0006_dispatch_and_compute'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name='trainingcomputeusage', name='training_compute_run_month'),
        migrations.AddField(
            model_name='trainingcomputeusage',
            name='team',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='+', to='teams.team'),
        ),
        migrations.AddField(
            model_name='trainingcomputeusage',
            name='account_user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='trainingcomputeusage',
            name='user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                    to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(_charged, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='trainingcomputeusage',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                    to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='trainingcomputeusage',
            name='training_run',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name='compute_usage', to='training.trainingrun'),
        ),
        migrations.AddConstraint(
            model_name='trainingcomputeusage',
            constraint=models.UniqueConstraint(condition=models.Q(('training_run__isnull', False)),
                                               fields=('training_run', 'month', 'team', 'account_user'),
                                               name='training_compute_run_month', nulls_distinct=False),
        ),
        migrations.AddConstraint(
            model_name='trainingcomputeusage',
            constraint=models.CheckConstraint(
                condition=models.Q(('team__isnull', True), ('account_user__isnull', True), _connector='XOR'),
                name='training_compute_one_account'),
        ),
    ]
