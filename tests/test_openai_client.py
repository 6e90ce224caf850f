"""The official `openai` Python client, unchanged, against /v1 served by daphne (as in
production: server-sent events come from the ASGI handler) with a real inference worker:
model listing, chat and text completions (streamed and whole), embeddings, and OpenAI-shaped
errors for bad requests, strangers' models and spent quotas."""

from __future__ import annotations

import numpy as np
import openai
import pytest
from django.conf import settings

from apps.accounts.services import api_token_create
from apps.chat.quotas import quota_acquire
from apps.chat.tests.conftest import inference_worker, media_root, var_dir  # noqa: F401
from apps.chat.tests.factories import model_version
from tests.processes import daphne_server

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("inference_worker")]
MESSAGES = [{"role": "user", "content": "Tell me about the sea"}]


@pytest.fixture(scope="module")
def server_url(django_db_setup, var_dir):  # noqa: F811 - the imported fixture
    """daphne on the test database and this module's files, started once per module."""
    with daphne_server(var_dir, var_dir / "daphne.log") as url:
        yield url


@pytest.fixture
def owner(make_user):
    user = make_user()
    model_version(user, "tiny")
    return user


def _client(server_url: str, user) -> openai.OpenAI:
    token = api_token_create(user=user, name="openai").secret
    return openai.OpenAI(base_url=f"{server_url}/v1", api_key=token, max_retries=0, timeout=60)


def test_models_chat_and_completions_streamed_and_whole(server_url, owner):
    # given
    client = _client(server_url, owner)
    # when
    listed = [model.id for model in client.models.list()]
    whole = client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=8)
    streamed = list(client.chat.completions.create(
        model="tiny:1.0.0", messages=MESSAGES, max_tokens=8, stream=True,
        stream_options={"include_usage": True}))
    text = client.completions.create(model="tiny", prompt="The quick brown", max_tokens=5, seed=3)
    text_stream = list(client.completions.create(model="tiny", prompt="The quick brown",
                                                 max_tokens=5, seed=3, stream=True))
    # then
    assert "tiny:1.0.0" in listed and "all-MiniLM-L6-v2" in listed
    assert whole.choices[0].finish_reason == "length"
    assert whole.usage.completion_tokens == 8 and whole.usage.prompt_tokens > 0
    # the greedy tiny model says the same thing streamed as whole
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == \
        whole.choices[0].message.content
    assert streamed[-1].usage.completion_tokens == 8
    assert text.usage.completion_tokens == 5
    assert "".join(c.choices[0].text for c in text_stream) == text.choices[0].text


def test_a_request_without_max_tokens_gets_what_a_small_models_context_leaves(server_url, make_user):
    # given a 64-token model whose file asks for 256-token replies
    user = make_user()
    model_version(user, "small", block_size=64, max_tokens=256)
    # when
    reply = _client(server_url, user).chat.completions.create(model="small", messages=MESSAGES)
    # then the reply runs to the end of the context instead of failing
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.prompt_tokens + reply.usage.completion_tokens == 64


def test_embeddings_are_unit_vectors_of_384_dimensions(server_url, owner):
    # given
    client = _client(server_url, owner)
    # when
    result = client.embeddings.create(model="all-MiniLM-L6-v2", input=["a ship", "a boat", "a fox"])
    # then
    vectors = np.array([item.embedding for item in result.data])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # ships are closer to boats
    assert result.usage.prompt_tokens > 0


def test_errors_come_back_in_openai_shape(server_url, owner, make_user):
    # given
    client = _client(server_url, owner)
    stranger = _client(server_url, make_user())
    # when / then
    with pytest.raises(openai.BadRequestError) as several:
        client.chat.completions.create(model="tiny", messages=MESSAGES, n=2)
    assert several.value.body["param"] == "n"
    with pytest.raises(openai.NotFoundError) as foreign:
        stranger.chat.completions.create(model="tiny", messages=MESSAGES)
    assert foreign.value.body["code"] == "model_not_found"
    # a stranger can neither see the owner's model nor use it on any route
    assert "tiny:1.0.0" not in [model.id for model in stranger.models.list()]
    with pytest.raises(openai.NotFoundError):
        stranger.models.retrieve("tiny:1.0.0")
    with pytest.raises(openai.NotFoundError):
        stranger.completions.create(model="tiny:1.0.0", prompt="Hi", stream=True)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server_url}/v1", api_key="sg_nope", max_retries=0).models.list()
    # the day's whole quota reserved by another generation
    quota_acquire(user_id=owner.pk, want_tokens=settings.SLOUGHGPT_CHAT_TOKENS_PER_DAY)
    with pytest.raises(openai.RateLimitError) as spent:
        client.completions.create(model="tiny", prompt="Hi")
    assert int(spent.value.response.headers["Retry-After"]) > 0
    assert "resets at" in spent.value.body["message"]


def test_a_personality_by_name_or_id_prompts_and_samples_the_reply(server_url, owner, make_user):
    # given the owner's own personality, and a stranger's
    from apps.personalities.models import Personality
    from apps.personalities.tests.factories import config_personality

    client = _client(server_url, owner)
    mine = config_personality(owner, name="Ship's cook", archetype="jester")
    theirs = config_personality(make_user(), name="Not yours")
    sage = Personality.objects.get(owner=None, archetype="sage").current_version
    # when
    plain = client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=4)
    as_sage = client.chat.completions.create(model="tiny", messages=MESSAGES,
                                             extra_body={"personality": "sage"})
    as_mine = client.chat.completions.create(model="tiny", messages=MESSAGES, max_tokens=4,
                                             extra_body={"personality": mine.pk})
    # then the personality's prompt opens the conversation and its reply length applies
    assert as_sage.usage.prompt_tokens > plain.usage.prompt_tokens
    assert as_sage.usage.completion_tokens == sage.generation_defaults["max_new_tokens"]
    assert as_mine.usage.prompt_tokens > plain.usage.prompt_tokens
    assert as_mine.usage.completion_tokens == 4  # the request's own length wins
    for unknown in (theirs.pk, "Not yours", "pirate king"):
        with pytest.raises(openai.NotFoundError) as missing:
            client.chat.completions.create(model="tiny", messages=MESSAGES,
                                           extra_body={"personality": unknown})
        assert missing.value.body["code"] == "personality_not_found"
        assert missing.value.body["param"] == "personality"
