"""OpenAI-compatible routes under /v1/ (see openai_api.py)."""

from django.urls import path

from . import openai_api

urlpatterns = [
    path("models", openai_api.models, name="openai-models"),
    path("models/<path:model>", openai_api.model_detail, name="openai-model-detail"),
    path("chat/completions", openai_api.chat_completions, name="openai-chat-completions"),
    path("completions", openai_api.completions, name="openai-completions"),
    path("embeddings", openai_api.embeddings, name="openai-embeddings"),
]
