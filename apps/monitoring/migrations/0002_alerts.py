"""Alerts: rules on monitored series, the events they fire and each delivery's attempts."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0001_initial'),
        ('registry', '0004_private_name_unique'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AlertDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('portal', 'Portal'), ('email', 'Email'), ('webhook', 'Webhook')], max_length=8)),
                ('notice', models.CharField(choices=[('fired', 'Fired'), ('resolved', 'Resolved')], max_length=8)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('delivered', 'Delivered'), ('failed', 'Failed')], default='pending', max_length=9)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.CharField(blank=True, max_length=500)),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='AlertEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fired_at', models.DateTimeField()),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('value', models.FloatField(blank=True, null=True)),
                ('message', models.CharField(max_length=500)),
            ],
            options={
                'ordering': ['-fired_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='AlertDeliveryAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('at', models.DateTimeField(auto_now_add=True)),
                ('ok', models.BooleanField()),
                ('status_code', models.PositiveIntegerField(blank=True, null=True)),
                ('error', models.CharField(blank=True, max_length=500)),
                ('delivery', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempt_log', to='monitoring.alertdelivery')),
            ],
            options={
                'ordering': ['delivery', 'number'],
            },
        ),
        migrations.AddField(
            model_name='alertdelivery',
            name='event',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='monitoring.alertevent'),
        ),
        migrations.CreateModel(
            name='AlertRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('name', models.CharField(max_length=200)),
                ('series', models.CharField(max_length=64)),
                ('comparison', models.CharField(choices=[('gt', '>'), ('gte', '>='), ('lt', '<'), ('lte', '<=')], default='gte', max_length=3)),
                ('threshold', models.FloatField(default=0)),
                ('window', models.CharField(choices=[('hour', 'Hour'), ('day', 'Day')], default='hour', max_length=4)),
                ('enabled', models.BooleanField(default=True)),
                ('notify_portal', models.BooleanField(default=True)),
                ('notify_email', models.BooleanField(default=False)),
                ('webhook_url', models.URLField(blank=True, max_length=2000)),
                ('webhook_secret', models.CharField(blank=True, max_length=64)),
                ('last_evaluated_at', models.DateTimeField(blank=True, null=True)),
                ('last_value', models.FloatField(blank=True, null=True)),
                ('last_note', models.CharField(blank=True, max_length=300)),
                ('model_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.modelversion')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-id'],
            },
        ),
        migrations.AddField(
            model_name='alertevent',
            name='rule',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='monitoring.alertrule'),
        ),
        migrations.AddConstraint(
            model_name='alertdelivery',
            constraint=models.UniqueConstraint(fields=('event', 'channel', 'notice'), name='monitoring_alert_delivery_once'),
        ),
        migrations.AddConstraint(
            model_name='alertevent',
            constraint=models.UniqueConstraint(condition=models.Q(('resolved_at__isnull', True)), fields=('rule',), name='monitoring_alert_one_open_event'),
        ),
    ]
