"""WebSocket routes of personalities."""

from django.urls import path

from .consumers import PersonalityVersionConsumer

websocket_urlpatterns = [
    path("ws/personality-versions/<int:version_id>/", PersonalityVersionConsumer.as_asgi()),
]
