"""Creates the first staff account when there is none: credentials from
SLOUGHGPT_ADMIN_EMAIL / SLOUGHGPT_ADMIN_PASSWORD, or generated and printed once."""

import os
import secrets

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand

from apps.accounts.models import User


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        if User.objects.filter(is_superuser=True).exists():
            return
        email = os.environ.get("SLOUGHGPT_ADMIN_EMAIL") or "admin@localhost"
        password = os.environ.get("SLOUGHGPT_ADMIN_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(16)
        user = User.objects.create_superuser(email=email, password=password)
        # The admin's address counts as verified, so the first login is not blocked.
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        self.stdout.write(self.style.SUCCESS(f"Created admin account {email}"))
        if generated:
            self.stdout.write(f"  password: {password}   (shown once; change it after login)")
