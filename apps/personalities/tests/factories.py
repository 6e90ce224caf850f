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
