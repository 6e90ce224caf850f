"""Conversations with a registered model and their messages. An assistant message is created
`queued` when a reply is asked for (so its id can label the streamed text) and its content is
written once, by the inference worker, when the generation ends. A conversation talks to a
registered model version or to a model of one of its owner's remote endpoints. A conversation speaks as one
stored personality version, so editing the personality later does not change it."""

from __future__ import annotations

from django.db import models

from apps.core.models import OwnedModel
from apps.rag.models import GROUNDING_MODES

# A conversation's sampling settings, in the order the worker lays them over the defaults.
SETTINGS_FIELDS = ("temperature", "top_p", "top_k", "min_p", "repetition_penalty", "max_tokens",
                   "seed", "steering_strength")


class Conversation(OwnedModel):
    # HYBRID, GRAPH, HYBRID_GRAPH: apps.rag.models.GROUNDING_MODES.
    RetrievalMode = models.TextChoices(
        "RetrievalMode", [(mode.upper().replace("+", "_"), mode) for mode in GROUNDING_MODES])

    title = models.CharField(max_length=200, blank=True)
    # Kept when the version is deleted, so the history stays readable.
    model_version = models.ForeignKey(
        "registry.ModelVersion", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Or a model of one of the owner's remote endpoints (apps.endpoints), never both: the
    # service asks for exactly one. Kept (the name) when the endpoint is deleted.
    remote_endpoint = models.ForeignKey(
        "endpoints.RemoteEndpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    remote_model = models.CharField(max_length=200, blank=True)
    # A quantized export to serve from ("Q8_0", ...); empty picks the preferred ready one.
    qtype = models.CharField(max_length=8, blank=True)
    # The personality version replies speak as (a built-in or the owner's own); null for none.
    # RESTRICT: the version cannot be deleted while a conversation uses it, unless the
    # conversation goes in the same delete (its owner's account).
    personality_version = models.ForeignKey(
        "personalities.PersonalityVersion", null=True, blank=True, on_delete=models.RESTRICT,
        related_name="conversations",  # not "+": personality_delete finds holders through it
    )
    system_prompt = models.TextField(blank=True)
    # Sampling settings; null means the personality's, else the model file's default.
    temperature = models.FloatField(null=True, blank=True)
    top_p = models.FloatField(null=True, blank=True)
    top_k = models.PositiveIntegerField(null=True, blank=True)
    min_p = models.FloatField(null=True, blank=True)
    repetition_penalty = models.FloatField(null=True, blank=True)
    max_tokens = models.PositiveIntegerField(null=True, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    # Multiple of the model's personality steering vectors; null means the file's default.
    steering_strength = models.FloatField(null=True, blank=True)
    collections = models.ManyToManyField("rag.Collection", blank=True, related_name="+")
    # How sources are found in the collections for each reply.
    retrieval_mode = models.CharField(max_length=16, choices=RetrievalMode.choices,
                                      default=RetrievalMode.HYBRID)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(model_version__isnull=True) | models.Q(remote_endpoint__isnull=True),
                name="chat_conversation_local_or_remote_model",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"conversation {self.pk}"


class Message(OwnedModel):
    class Role(models.TextChoices):
        USER = "user"
        ASSISTANT = "assistant"

    class Status(models.TextChoices):
        QUEUED = "queued"  # an assistant reply not finished yet
        DONE = "done"
        STOPPED = "stopped"  # the user stopped it; content is what was made until then
        FAILED = "failed"

    class Feedback(models.TextChoices):
        UP = "up"
        DOWN = "down"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)  # raw text; the client renders markdown
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    finish_reason = models.CharField(max_length=16, blank=True)
    error = models.TextField(blank=True)
    # Shown with the reply: e.g. how many earlier turns were left out to fit the context.
    notice = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    ttft_ms = models.FloatField(null=True, blank=True)
    tokens_per_s = models.FloatField(null=True, blank=True)
    # [{"source", "document_id", "document_name", "chunk_index", "score"}], numbered as cited;
    # a source found through the knowledge graph adds "sentences" ([{"text", "start", "end"}],
    # offsets in the chunk): those its edges were read from.
    citations = models.JSONField(default=list, blank=True)
    feedback = models.CharField(max_length=8, choices=Feedback.choices, blank=True)
    # The answer as the user corrected it; exported as a better response.
    feedback_text = models.TextField(blank=True)
    # The texts of the thumbs-down replies this one replaced by regenerating (a reply to an
    # edited question answers another question and inherits none), newest last: the replaced rows are deleted, so the
    # conversation reads as before, and these pair with this reply as preferences once it
    # gets a thumbs up. Never shown in the conversation.
    rejected_texts = models.JSONField(default=list, blank=True)
    # The quota the worker releases when the generation ends (apps.chat.quotas.Lease).
    quota_lease = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One reply at a time per conversation, enforced by the database.
            models.UniqueConstraint(
                fields=["conversation"], condition=models.Q(status="queued"),
                name="chat_one_queued_reply_per_conversation",
            ),
        ]


# The turns a model is shown again (a reply's history, a preference record's prompt): the
# finished ones, done or stopped, that have text.
HISTORY_STATUSES = (Message.Status.DONE, Message.Status.STOPPED)
