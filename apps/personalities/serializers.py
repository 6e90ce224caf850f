"""Serializers that more than one app's API answers with: the scores of texts against a
personality (the personality's own score endpoint and a conversation's personality trend)."""

from __future__ import annotations

from rest_framework import serializers


class PersonalityScoreOutput(serializers.Serializer):
    """A personality's scores of texts: each text's alignment, metrics and warnings, the
    overall alignment and profile, and notices (texts cut, unmeasurable ones)."""

    class Text(serializers.Serializer):
        index = serializers.IntegerField()
        excerpt = serializers.CharField()
        alignment = serializers.FloatField()
        metrics = serializers.DictField(child=serializers.FloatField())
        warnings = serializers.ListField(child=serializers.CharField())
        message_id = serializers.IntegerField(allow_null=True)

        class Meta:
            ref_name = "PersonalityScoreText"

    personality_id = serializers.IntegerField()
    version_id = serializers.IntegerField()
    version_number = serializers.IntegerField()
    texts = Text(many=True)
    alignment = serializers.DictField(child=serializers.FloatField())
    profile = serializers.JSONField()
    notices = serializers.ListField(child=serializers.CharField())

    class Meta:
        ref_name = "PersonalityScore"
