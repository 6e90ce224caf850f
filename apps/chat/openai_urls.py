"""OpenAI-compatible routes under /v1/."""

urlpatterns: list = []
