"""An arena battle with remote models on a side: each side streams from its endpoint, a
failing one ends failed in words that cannot tell the models apart until the vote, and the
vote reveals the remote model by its name. Sides are generated here as the inference worker
would (`battle_reply_generate`), against a small server on loopback."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound

from apps.arena.generation import NOT_GENERATED, battle_reply_generate
from apps.arena.models import BattleReply
from apps.arena.realtime import battle_payload
from apps.arena.services import battle_create, battle_vote
from apps.chat.services import conversation_create
from apps.chat.tests.factories import model_version

from .factories import remote_endpoint
from .stub_server import sse, stub_server

pytestmark = pytest.mark.django_db


def test_a_battle_between_two_remote_models_streams_both_and_reveals_them_on_the_vote(settings, make_user):
    # given a conversation and an endpoint listing two models
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    user = make_user()
    with stub_server(stream=sse("Fair", " winds")) as stub:
        endpoint = remote_endpoint(user, "lab", base_url=stub.base_url, models=("one", "two"))
        chat = conversation_create(user=user, remote_endpoint_id=endpoint.pk, remote_model="one")
        # when
        battle = battle_create(user=user, conversation_id=chat.pk, content="Which way?",
                               remote_models=[{"endpoint_id": endpoint.pk, "model": "one"},
                                              {"endpoint_id": endpoint.pk, "model": "two"}])
        for reply in battle.replies.all():
            battle_reply_generate(reply_id=reply.pk)
    hidden = battle_payload(battle, list(battle.replies.all()))
    battle = battle_vote(user=user, battle_id=battle.pk, vote="a")
    revealed = battle_payload(battle, list(battle.replies.all()))
    # then
    assert [(s["status"], s["content"], s["model"]) for s in hidden["sides"]] == [
        ("done", "Fair winds", None), ("done", "Fair winds", None)]
    assert sorted(s["model"]["name"] for s in revealed["sides"]) == ["remote/lab/one", "remote/lab/two"]
    assert len(stub.requests) == 2


def test_a_remote_side_that_fails_says_so_without_naming_it_until_the_vote(settings, make_user):
    # given a local version against a remote model that streams garbage
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    user = make_user()
    version = model_version(user, "local", write_file=False)
    with stub_server(stream=[b"data: nonsense\n\n"]) as stub:
        endpoint = remote_endpoint(user, "lab", base_url=stub.base_url, models=("odd",))
        chat = conversation_create(user=user, model_version_id=version.pk)
        battle = battle_create(user=user, conversation_id=chat.pk, content="Which way?", model_version_ids=[version.pk],
                               remote_models=[{"endpoint_id": endpoint.pk, "model": "odd"}])
        remote = battle.replies.get(remote_model="odd")
        # when
        battle_reply_generate(reply_id=remote.pk)
    remote.refresh_from_db()
    # then
    assert remote.status == BattleReply.Status.FAILED and remote.error == NOT_GENERATED
    assert remote.error_detail == ("the remote model failed: the endpoint streamed something that is not JSON: "
                                   "'nonsense'")


def test_a_battle_needs_two_different_contestants(make_user):
    # given
    user = make_user()
    endpoint = remote_endpoint(user, "lab", models=("one",))
    chat = conversation_create(user=user, remote_endpoint_id=endpoint.pk, remote_model="one")
    same = {"endpoint_id": endpoint.pk, "model": "one"}
    # when / then
    with pytest.raises(ValidationError, match="two different models"):
        battle_create(user=user, conversation_id=chat.pk, content="Hi", remote_models=[same, same])


def test_a_battle_naming_many_versions_is_refused_before_any_is_looked_up(make_user, django_assert_max_num_queries):
    # given a conversation, and a request naming far more than two versions (none of them mine)
    user = make_user()
    endpoint = remote_endpoint(user, "lab", models=("one",))
    chat = conversation_create(user=user, remote_endpoint_id=endpoint.pk, remote_model="one")
    # when / then: one answer, whatever the count, without a query per id
    with django_assert_max_num_queries(10), pytest.raises(ValidationError, match="two different models"):
        battle_create(user=user, conversation_id=chat.pk, content="Hi", model_version_ids=list(range(1, 1001)))


def test_a_battle_cannot_name_another_users_endpoint(make_user):
    # given my conversation and a stranger's endpoint
    user = make_user()
    mine = remote_endpoint(user, "lab", models=("one",))
    theirs = remote_endpoint(make_user(), "theirs", models=("two",))
    chat = conversation_create(user=user, remote_endpoint_id=mine.pk, remote_model="one")
    # when / then
    with pytest.raises(NotFound):
        battle_create(user=user, conversation_id=chat.pk, content="Hi",
                      remote_models=[{"endpoint_id": mine.pk, "model": "one"},
                                     {"endpoint_id": theirs.pk, "model": "two"}])
