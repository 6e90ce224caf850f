"""Drift detection: per-version settings, results per kind and window, and dataset reference samples."""

import django.db.models.deletion
import pgvector.django.vector
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('datasets', '0003_delete_storageusage'),
        ('monitoring', '0002_alerts'),
        ('registry', '0004_private_name_unique'),
    ]

    operations = [
        migrations.CreateModel(
            name='DriftSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('window_hours', models.PositiveIntegerField(default=24)),
                ('min_requests', models.PositiveIntegerField(default=50)),
                ('alpha', models.FloatField(default=0.01)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('model_version', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='drift_settings', to='registry.modelversion')),
                ('reference_dataset_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='datasets.datasetversion')),
            ],
        ),
        migrations.CreateModel(
            name='DriftReferenceSample',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('prompt_embedding', pgvector.django.vector.VectorField(blank=True, dimensions=384, null=True)),
                ('reply_chars', models.PositiveIntegerField(blank=True, null=True)),
                ('refused', models.BooleanField(blank=True, null=True)),
                ('personality_scores', models.JSONField(blank=True, null=True)),
                ('dataset_version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='datasets.datasetversion')),
            ],
            options={
                'indexes': [models.Index(fields=['dataset_version'], name='monitoring_drift_refsample')],
            },
        ),
        migrations.CreateModel(
            name='DriftResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('prompt', 'Prompt'), ('personality', 'Personality'), ('length', 'Length'), ('refusal', 'Refusal'), ('feedback', 'Feedback')], max_length=16)),
                ('window_start', models.DateTimeField()),
                ('window_end', models.DateTimeField()),
                ('reference_start', models.DateTimeField(blank=True, null=True)),
                ('reference_end', models.DateTimeField(blank=True, null=True)),
                ('statistic', models.FloatField(blank=True, null=True)),
                ('p_value', models.FloatField(blank=True, null=True)),
                ('threshold', models.FloatField()),
                ('drifted', models.BooleanField(default=False)),
                ('n_reference', models.PositiveIntegerField(default=0)),
                ('n_window', models.PositiveIntegerField(default=0)),
                ('status', models.CharField(choices=[('ok', 'Ok'), ('insufficient', 'Insufficient')], max_length=16)),
                ('message', models.CharField(blank=True, max_length=300)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.modelversion')),
                ('reference_dataset_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='datasets.datasetversion')),
            ],
            options={
                'ordering': ['-window_end', '-id'],
                'indexes': [models.Index(fields=['model_version', 'kind', '-window_end'], name='monitoring_drift_latest')],
            },
        ),
    ]
