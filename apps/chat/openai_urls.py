"""OpenAI-compatible routes under /v1/ (see openai_api.py), in the `openai` namespace."""

from django.urls import path

from . import openai_api

app_name = "openai"
urlpatterns = [
    path("models", openai_api.models, name="models"),
    path("models/<path:model>", openai_api.model_detail, name="model-detail"),
    path("chat/completions", openai_api.chat_completions, name="chat-completions"),
    path("completions", openai_api.completions, name="completions"),
    path("embeddings", openai_api.embeddings, name="embeddings"),
]
