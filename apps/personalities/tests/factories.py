"""Builders for personality tests: texts with a clear voice, and personalities made through
the services."""

from apps.personalities import services

CHEERFUL = [
    f"Wow, I love this {thing}! It is absolutely wonderful and so much fun, thank you!"
    for thing in ("idea", "song", "garden", "recipe", "trip", "book", "game", "plan", "party",
                  "picture", "movie", "class", "walk", "team", "puzzle", "story", "poem", "city",
                  "morning", "surprise", "festival", "concert")
]
GLOOMY = [
    f"The {thing} was dull and disappointing. Nothing about it worked and I regret the time it took."
    for thing in ("meeting", "report", "journey", "weekend", "dinner", "lecture", "film", "project",
                  "visit", "season", "shift", "match", "update", "course", "week", "interview",
                  "repair", "delivery", "holiday", "talk", "game", "result")
]


def config_personality(user, name: str = "owner-private-personality", **values):
    values.setdefault("archetype", "sage")
    return services.personality_create_config(user=user, name=name, **values)


def tiny_model_version(user, name: str = "tiny", **kwargs):
    """A ready model version of `user` whose file is the chat tests' tiny random LLaMA."""
    from apps.chat.tests.factories import model_version

    return model_version(user, name, **kwargs)


def ready_evaluation(version, personality_version, *, alignment: float, chart: bool = False,
                     probe_ids: list[int] | None = None, max_tokens: int = 8):
    """A finished evaluation of `version` on `probe_ids` (three by default) whose served
    condition measured `alignment`, as the harness stores it (the report's other numbers are
    placeholders)."""
    from apps.personalities import storage
    from apps.personalities.models import PersonalityEvaluation

    probe_ids = [0, 20, 40] if probe_ids is None else probe_ids
    condition = {"alignment": alignment, "metrics": {"vader_compound": 0.5}, "perplexity": 3.0,
                 "perplexity_ratio": 1.0}
    evaluation = PersonalityEvaluation.objects.create(
        owner_id=version.owner_id, model_version=version, personality_version=personality_version,
        probe_ids=probe_ids, max_tokens=max_tokens, status=PersonalityEvaluation.Status.READY, progress=1.0,
        has_chart=chart,
        report={"model": str(version), "personality": {}, "probes": len(probe_ids), "probe_ids": probe_ids,
                "max_tokens": max_tokens,
                "steering": {}, "served": "none", "alignment": alignment, "vader_compound": 0.5,
                "alignment_gain": 0.0, "vader_gain": 0.0, "perplexity_ratio": 1.0,
                "conditions": {"none": condition}, "deltas": {}, "table": "", "answers": []},
    )
    if chart:
        path = storage.evaluation_chart(version.owner_id, evaluation.pk)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PNG)
    return evaluation


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16  # enough of a PNG for the download to carry
