"""App configuration for personalities."""

from django.apps import AppConfig


class PersonalitiesConfig(AppConfig):
    name = "apps.personalities"
    label = "personalities"
