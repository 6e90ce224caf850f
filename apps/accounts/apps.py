"""App configuration for accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self):
        # Registers the OpenAPI description of Bearer-token authentication, and the receivers
        # that close a user's WebSockets when their credentials end.
        from . import schema, signals  # noqa: F401
