"""Arena battles: one prompt, in one of the owner's conversations, answered by two of the
owner's model versions (or models of their remote endpoints) at once. The versions are shuffled into sides A and B when the battle
is made and stay hidden until the owner votes (A, B, tie or both bad), once; then the battle
shows which was which. Votes feed the owner's leaderboard (ratings.py) and export as
preference pairs."""

from __future__ import annotations

from django.db import models

from apps.core.models import OwnedModel


class Battle(OwnedModel):
    class Vote(models.TextChoices):
        A = "a"
        B = "b"
        TIE = "tie"
        BOTH_BAD = "both_bad"

    # The conversation whose sockets stream the battle; its turns open the prompt.
    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE,
                                     related_name="battles")
    # What both models answered: the conversation's messages up to and including the user
    # turn ([{role, content}], the system prompt first), as preference records name it.
    prompt = models.JSONField(default=list)
    vote = models.CharField(max_length=8, choices=Vote.choices, blank=True)
    voted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"battle {self.pk}"


class BattleReply(OwnedModel):
    class Side(models.TextChoices):
        A = "a"
        B = "b"

    class Status(models.TextChoices):
        QUEUED = "queued"  # not finished yet
        DONE = "done"
        STOPPED = "stopped"  # the user stopped it; content is what was made until then
        FAILED = "failed"

    battle = models.ForeignKey(Battle, on_delete=models.CASCADE, related_name="replies")
    side = models.CharField(max_length=1, choices=Side.choices)
    # Kept when the version is deleted (the battle then leaves the leaderboard).
    model_version = models.ForeignKey("registry.ModelVersion", null=True, on_delete=models.SET_NULL,
                                      related_name="+")
    # Or a model of the owner's remote endpoint (apps.endpoints); such sides stay out of the
    # leaderboard, which rates versions.
    remote_endpoint = models.ForeignKey("endpoints.RemoteEndpoint", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    remote_model = models.CharField(max_length=200, blank=True)
    # The version's name (remote/<endpoint>/<model> for a remote model) when the battle was
    # made, revealed after the vote.
    model_name = models.CharField(max_length=200)
    content = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # Why it failed, in words that cannot tell the models apart (shown before the vote) ...
    error = models.TextField(blank=True)
    # ... and the full reason, which may (a context length, token counts in the model's own
    # tokenizer), shown once the vote has revealed the models; empty when `error` says it all.
    error_detail = models.TextField(blank=True)
    finish_reason = models.CharField(max_length=16, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    # The quota the worker releases when the generation ends (apps.chat.quotas.Lease).
    quota_lease = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["side"]
        constraints = [models.UniqueConstraint(fields=["battle", "side"], name="arena_one_reply_per_side")]

    def __str__(self) -> str:
        return f"battle {self.battle_id} {self.side.upper()}"
