"""`manage.py quotas_recompute_storage`: set every account's storage usage to what its files
take on disk."""

from django.core.management.base import BaseCommand

from apps.quotas.storage import storage_recompute


class Command(BaseCommand):
    help = "Recompute every user's and team's storage usage from the files on disk."

    def handle(self, *args, **options):
        totals = storage_recompute()
        self.stdout.write(f"{len(totals)} accounts, {sum(totals.values())} bytes stored.")
