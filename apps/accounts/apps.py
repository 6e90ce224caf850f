"""App configuration for accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self):
        # Registers the OpenAPI description of Bearer-token authentication.
        from . import schema  # noqa: F401
