"""The built-in personalities: every archetype of ml.personality (the 12 and "Cheerful
Enthusiast") as a read-only config personality with one version, owned by no one."""

from django.db import migrations


def create_builtins(apps, schema_editor):
    from ml.personality.config import ARCHETYPES, ConfigPersonality

    Personality = apps.get_model("personalities", "Personality")
    PersonalityVersion = apps.get_model("personalities", "PersonalityVersion")
    for key, archetype in ARCHETYPES.items():
        persona = ConfigPersonality.from_archetype(key)
        personality = Personality.objects.create(
            owner=None, name=archetype.name, description=archetype.description,
            kind="config", archetype=key,
        )
        version = PersonalityVersion.objects.create(
            personality=personality, number=1, traits=dict(persona.traits),
            target_ranges={k: list(v) for k, v in persona.target_ranges().items()},
            generation_defaults=persona.generation_defaults(),
            system_prompt=persona.system_prompt(), spec=persona.to_dict(),
            status="ready", progress=1.0, provenance={"archetype": key},
        )
        personality.current_version = version
        personality.save(update_fields=["current_version"])


def remove_builtins(apps, schema_editor):
    apps.get_model("personalities", "Personality").objects.filter(owner__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("personalities", "0001_initial")]

    operations = [migrations.RunPython(create_builtins, remove_builtins)]
