"""App configuration for the arena."""

from django.apps import AppConfig


class ArenaConfig(AppConfig):
    name = "apps.arena"
    label = "arena"
