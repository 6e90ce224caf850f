"""The default plan, with the limits the deployment's settings give (settings/product.py)."""

from django.conf import settings
from django.db import migrations


def create_default_plan(apps, schema_editor):
    Plan = apps.get_model("quotas", "Plan")
    Plan.objects.get_or_create(name="default", defaults={
        "is_default": True,
        "description": "Every account without a plan of its own.",
        "storage_bytes": settings.SLOUGHGPT_STORAGE_QUOTA_BYTES,
        "compute_seconds_per_month": settings.SLOUGHGPT_COMPUTE_SECONDS_PER_MONTH,
        "concurrent_runs": settings.SLOUGHGPT_CONCURRENT_RUNS,
        "chat_tokens_per_day": settings.SLOUGHGPT_CHAT_TOKENS_PER_DAY,
        "concurrent_generations": settings.SLOUGHGPT_CHAT_MAX_CONCURRENT,
        "api_requests_per_minute": settings.SLOUGHGPT_API_REQUESTS_PER_MINUTE,
    })


class Migration(migrations.Migration):
    dependencies = [("quotas", "0001_initial")]
    operations = [migrations.RunPython(create_default_plan, migrations.RunPython.noop)]
