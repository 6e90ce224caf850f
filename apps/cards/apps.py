"""App configuration for cards."""

from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "apps.cards"
    label = "cards"
