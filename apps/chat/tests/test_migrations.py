"""Conversations stored before personalities were stored keep their personality: each
archetype name becomes its built-in's current version, however it was spelled."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("chat", "0001_initial")]
AFTER = [("chat", "0002_conversation_personality_version")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def migrate():
    yield _migrate
    # the rest of the suite runs on the current schema
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_archetype_names_become_the_built_ins_current_versions(make_user, migrate):
    # given conversations saved with names, as the chat stored them before
    owner = make_user()
    Conversation = migrate(BEFORE).get_model("chat", "Conversation")
    names = {"sage": "Sage", "Jester": "Jester", "cheerful-enthusiast": "Cheerful Enthusiast", "": None}
    saved = {name: Conversation.objects.create(owner_id=owner.pk, personality=name).pk for name in names}
    # when
    new = migrate(AFTER)
    # then
    Personality = new.get_model("personalities", "Personality")
    migrated = new.get_model("chat", "Conversation").objects
    for name, builtin in names.items():
        version_id = migrated.get(pk=saved[name]).personality_version_id
        expected = Personality.objects.get(owner=None, name=builtin).current_version_id if builtin else None
        assert version_id == expected, name


def test_going_back_writes_the_archetype_again(make_user, migrate):
    # given a conversation on a built-in and one on the user's own personality
    from apps.chat.tests.factories import conversation
    from apps.personalities.tests.factories import config_personality

    owner = make_user()
    builtin = conversation(owner, personality="sage")
    own = conversation(owner, personality_id=config_personality(owner, name="Mine").pk)
    # when
    old = migrate(BEFORE)
    # then the user's own has no name to go back to
    names = dict(old.get_model("chat", "Conversation").objects.values_list("pk", "personality"))
    assert names == {builtin.pk: "sage", own.pk: ""}
