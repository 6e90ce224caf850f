"""Chat API routes under /api/v1/."""

from django.urls import path

from .apis import (
    ConversationDetailApi,
    ConversationListCreateApi,
    ConversationPersonalityTrendApi,
    FeedbackExportApi,
    MessageFeedbackApi,
    MessageSendApi,
    QuotaApi,
)

urlpatterns = [
    path("chat/conversations/", ConversationListCreateApi.as_view(), name="chat-conversations"),
    path("chat/conversations/<int:conversation_id>/", ConversationDetailApi.as_view(),
         name="chat-conversation-detail"),
    path("chat/conversations/<int:conversation_id>/personality-trend/",
         ConversationPersonalityTrendApi.as_view(), name="chat-conversation-personality-trend"),
    path("chat/conversations/<int:conversation_id>/messages/", MessageSendApi.as_view(),
         name="chat-conversation-messages"),
    path("chat/messages/<int:message_id>/feedback/", MessageFeedbackApi.as_view(),
         name="chat-message-feedback"),
    path("chat/feedback/export/", FeedbackExportApi.as_view(), name="chat-feedback-export"),
    path("chat/quota/", QuotaApi.as_view(), name="chat-quota"),
]
