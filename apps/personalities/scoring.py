"""Measuring texts against a personality: every metric of each text, its alignment with the
personality (in [0, 1]), and a profile (mean and spread of every metric and of alignment).
Texts come pasted, from one of the user's conversations (its replies) or dataset versions;
over `sources.MAX_TEXTS` they are cut with a notice, and a text over ml's
`MAX_TEXT_CHARS` is measured on its start with a warning."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from . import sources
from .loader import personality_version_load
from .selectors import personality_get, personality_version_get

EXCERPT_CHARS = 120  # enough of each text to recognise it in a table


@dataclass(frozen=True)
class TextScore:
    index: int
    excerpt: str
    alignment: float
    metrics: dict[str, float]
    warnings: list[str]
    message_id: int | None = None  # the conversation's reply this text is


@dataclass(frozen=True)
class ScoreReport:
    personality_id: int
    version_id: int
    version_number: int
    texts: list[TextScore]
    alignment: dict[str, float]  # mean and std over the texts
    profile: dict  # ml PersonalityProfile.to_dict(): n_texts, mean, std, warnings
    notices: list[str] = field(default_factory=list)


def _source(*, user, texts, conversation_id, dataset_version_id) -> sources.Texts:
    given = [name for name, value in (("texts", texts), ("conversation_id", conversation_id),
                                      ("dataset_version_id", dataset_version_id)) if value is not None]
    if len(given) != 1:
        raise ValidationError({"texts": ["give exactly one of texts, conversation_id or dataset_version_id"]})
    if texts is not None:
        return sources.capped(texts, what="texts")
    if conversation_id is not None:
        return sources.conversation_texts(user=user, conversation_id=conversation_id)
    return sources.dataset_version_texts(user=user, dataset_version_id=dataset_version_id,
                                         field_name="dataset_version_id")


def alignments(persona, texts: Sequence[str], measured) -> list[float]:
    """`persona.score(texts)`, reusing the metrics already measured where the kind can."""
    from ml.personality import ConfigPersonality, LearnedPersonality
    from ml.personality.embeddings import embed

    if isinstance(persona, ConfigPersonality):
        return persona.score_metrics(measured)
    if isinstance(persona, LearnedPersonality):
        return persona.score_features(measured, embed(list(texts)))
    return persona.score(texts)


def personality_score(*, user, personality_id: int, texts: Sequence[str] | None = None,
                      conversation_id: int | None = None, dataset_version_id: int | None = None,
                      version_id: int | None = None) -> ScoreReport:
    """Scores exactly one source against the personality's current version (or `version_id`,
    one of its versions). Unknown or another user's ids are NotFound."""
    from ml.personality.metrics import measure, profile_of

    personality = personality_get(user=user, personality_id=personality_id)
    if version_id is not None:
        version = personality_version_get(user=user, version_id=version_id)
        if version.personality_id != personality.pk:
            raise ValidationError({"version_id": [f"not a version of personality {personality.pk}"]})
    elif personality.current_version is None:
        raise ValidationError({"personality": ["this personality has no version yet"]})
    else:
        version = personality.current_version
    persona = personality_version_load(version)
    source = _source(user=user, texts=texts, conversation_id=conversation_id,
                     dataset_version_id=dataset_version_id)
    if not source.texts:
        raise ValidationError({"texts": ["there is no text to score"]})
    measured = measure(source.texts)
    scores = [round(s, 6) for s in alignments(persona, source.texts, measured)]
    ids = source.message_ids or [None] * len(scores)
    rows = [
        TextScore(index=i, excerpt=text[:EXCERPT_CHARS], alignment=score,
                  metrics={k: round(v, 6) for k, v in m.values.items()}, warnings=list(m.warnings),
                  message_id=message_id)
        for i, (text, score, m, message_id) in enumerate(zip(source.texts, scores, measured, ids))
    ]
    return ScoreReport(
        personality_id=personality.pk, version_id=version.pk, version_number=version.number,
        texts=rows,
        alignment={"mean": round(statistics.fmean(scores), 6), "std": round(statistics.pstdev(scores), 6)},
        profile=profile_of(measured).to_dict(), notices=source.notices,
    )

