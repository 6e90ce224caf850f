"""App configuration for teams, sharing and the audit log."""

from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "apps.teams"
    label = "teams"
