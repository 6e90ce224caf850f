"""A conversation's personality becomes a stored personality version: each archetype name
kept until now ("sage", "Jester", "cheerful-enthusiast") points at its built-in's current
version. Going back writes the built-in's archetype key again (other personalities had no
name form, so they become none)."""

import django.db.models.deletion
from django.db import migrations, models


def _key(name: str) -> str:
    # How ml.personality.config spells an archetype key, frozen here as this migration saw it.
    return " ".join(name.replace("_", " ").replace("-", " ").lower().split())


def names_to_versions(apps, schema_editor):
    Conversation = apps.get_model("chat", "Conversation")
    Personality = apps.get_model("personalities", "Personality")
    builtins = {p.archetype: p.current_version_id
                for p in Personality.objects.filter(owner__isnull=True).exclude(archetype="")}
    names = Conversation.objects.exclude(personality="").values_list("personality", flat=True)
    for name in set(names):
        Conversation.objects.filter(personality=name).update(
            personality_version_id=builtins.get(_key(name)))


def versions_to_names(apps, schema_editor):
    Conversation = apps.get_model("chat", "Conversation")
    PersonalityVersion = apps.get_model("personalities", "PersonalityVersion")
    used = Conversation.objects.exclude(personality_version=None).values_list(
        "personality_version_id", flat=True)
    for version in PersonalityVersion.objects.filter(pk__in=set(used)).select_related("personality"):
        archetype = version.personality.archetype if version.personality.owner_id is None else ""
        Conversation.objects.filter(personality_version=version).update(personality=archetype)


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0001_initial"),
        ("personalities", "0002_builtin_archetypes"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="personality_version",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT,
                related_name="conversations", to="personalities.personalityversion",
            ),
        ),
        migrations.RunPython(names_to_versions, versions_to_names),
        migrations.RemoveField(model_name="conversation", name="personality"),
    ]
