"""A remote model as the teacher of a persona LoRA: the application names one of the user's
endpoint models (another user's endpoint is a 404, a model it does not list a 400 naming the
option), and the distillation's answers are the teacher's, asked under the personality's
system prompt."""

from __future__ import annotations

import json

import pytest

from apps.endpoints.client import RemoteError
from apps.personalities.applications import _teacher_answer
from apps.personalities.models import Personality, PersonalityApplication
from apps.personalities.runs import LeaseLost
from apps.personalities.tests.factories import tiny_model_version

from .factories import remote_endpoint
from .stub_server import sse, stub_server

pytestmark = pytest.mark.django_db
URL = "/api/v1/personality-applications/"


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    return make_user()


def _lora(client, version, teacher: dict):
    cheerful = Personality.objects.get(owner=None, archetype="cheerful enthusiast")
    return client.post(URL, {"model_version_id": version.pk, "personality_id": cheerful.pk, "method": "lora",
                             "options": {"steps": 2, "answer_tokens": 8, "teacher": teacher}}, format="json")


def _running(application_id: int) -> PersonalityApplication:
    """The application as an execution that took its lease sees it."""
    PersonalityApplication.objects.filter(pk=application_id).update(status="running", lease_owner="this-execution")
    return PersonalityApplication.objects.get(pk=application_id)


PROMPTS = [[{"role": "user", "content": "Hi!"}], [{"role": "user", "content": "Bye!"}]]


def test_a_remote_teacher_writes_the_in_persona_answers(owner, api_client_for):
    # given a lora application whose teacher is a model of my endpoint
    version = tiny_model_version(owner)
    with stub_server(stream=sse("What a ", "wonderful day!")) as stub:
        endpoint = remote_endpoint(owner, "lab", base_url=stub.base_url, models=("big",))
        created = _lora(api_client_for(owner), version, {"endpoint_id": endpoint.pk, "model": "big"})
        application = _running(created.json()["id"])
        # when the distillation asks its teacher
        answers = _teacher_answer(application)([[{"role": "system", "content": "Be cheerful."},
                                                 {"role": "user", "content": "Hi!"}]], 8)
    # then
    assert created.status_code == 201, created.json()
    assert application.options["teacher"] == {"endpoint_id": endpoint.pk, "model": "big"}
    assert answers == ["What a wonderful day!"]
    sent = json.loads(stub.requests[0][2])
    assert sent["model"] == "big" and sent["max_tokens"] == 8 and sent["temperature"] == 0.0
    assert sent["messages"][0] == {"role": "system", "content": "Be cheerful."}


def test_a_teacher_must_be_a_listed_model_of_my_own_endpoint(owner, make_user, api_client_for):
    # given
    version = tiny_model_version(owner)
    mine = remote_endpoint(owner, "lab", models=("big",))
    theirs = remote_endpoint(make_user(), "theirs", models=("big",))
    client = api_client_for(owner)
    # when
    foreign = _lora(client, version, {"endpoint_id": theirs.pk, "model": "big"})
    unlisted = _lora(client, version, {"endpoint_id": mine.pk, "model": "huge"})
    # then
    assert foreign.status_code == 404
    assert unlisted.status_code == 400
    assert "lists no model 'huge'" in unlisted.json()["error"]["fields"]["options.teacher"][0]
    assert not PersonalityApplication.objects.exists()


def test_a_teacher_that_takes_too_long_fails_the_distillation_at_its_deadline(owner, api_client_for, settings):
    # given a teacher that answers one piece and then dawdles, well within the idle time
    settings.SLOUGHGPT_REMOTE_TEACHER_TIMEOUT_S = 1
    settings.SLOUGHGPT_REMOTE_IDLE_S = 30
    version = tiny_model_version(owner)
    with stub_server(stream=[*sse("Well")[:1], 60.0]) as stub:
        endpoint = remote_endpoint(owner, "lab", base_url=stub.base_url, models=("big",))
        created = _lora(api_client_for(owner), version, {"endpoint_id": endpoint.pk, "model": "big"})
        answer = _teacher_answer(_running(created.json()["id"]))
        # when / then
        with pytest.raises(RemoteError, match="did not answer all 2 prompts within 1 s"):
            answer(PROMPTS, 8)
    assert len(stub.requests) == 1


def test_a_distillation_no_longer_ours_stops_asking_its_teacher(owner, api_client_for):
    # given an application a redelivered execution took over
    version = tiny_model_version(owner)
    with stub_server(stream=sse("Hello!")) as stub:
        endpoint = remote_endpoint(owner, "lab", base_url=stub.base_url, models=("big",))
        created = _lora(api_client_for(owner), version, {"endpoint_id": endpoint.pk, "model": "big"})
        answer = _teacher_answer(_running(created.json()["id"]))
        PersonalityApplication.objects.filter(pk=created.json()["id"]).update(lease_owner="another-execution")
        # when / then
        with pytest.raises(LeaseLost):
            answer(PROMPTS, 8)
    assert stub.requests == []


def test_a_lora_application_distils_from_its_teachers_answers(owner, api_client_for, tmp_path):
    # given a lora application whose teacher is a model of my endpoint
    from apps.personalities.applications import _apply
    from apps.personalities.evaluations import canonical_path
    from apps.personalities.loader import personality_version_load
    from ml.personality.steering import DEFAULT_CONTRAST_PROMPTS

    version = tiny_model_version(owner)
    with stub_server(stream=sse("What a ", "wonderful day!")) as stub:
        endpoint = remote_endpoint(owner, "lab", base_url=stub.base_url, models=("big",))
        created = _lora(api_client_for(owner), version, {"endpoint_id": endpoint.pk, "model": "big"})
        application = _running(created.json()["id"])
        persona = personality_version_load(application.personality_version)
        # when the application applies its method
        summary = _apply(application, persona, canonical_path(version), tmp_path / "out.sou", tmp_path)
    # then the teacher was asked every distillation prompt, in persona, and the result says so
    asked = [json.loads(body)["messages"] for path, _, body in stub.requests if path == "/v1/chat/completions"]
    assert [messages[-1]["content"] for messages in asked] == list(DEFAULT_CONTRAST_PROMPTS)
    assert all(messages[0]["role"] == "system" for messages in asked)
    assert summary["teacher"] == "big" and (tmp_path / "out.sou").exists()
