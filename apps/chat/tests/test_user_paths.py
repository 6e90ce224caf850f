"""Chat settings and the server's filesystem: a personality is a stored one named by id (or
by name, the older form) and a quantization one of the version's ready exports; a path in either is refused, on
creation and on change, and a model name with a path in it names no file."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import NotFound

from apps.chat.models import Conversation
from apps.registry.selectors import model_resolve

from .factories import conversation, model_version

pytestmark = pytest.mark.django_db
CONVERSATIONS = "/api/v1/chat/conversations/"
PATHS = ["/etc/passwd", "../../x", "../../../var/media/registry/1/1/model.sou"]
SETTINGS = [(field, value) for field in ("personality", "qtype") for value in PATHS]


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.mark.parametrize(("field", "value"), SETTINGS)
def test_a_new_conversation_refuses_a_path_as_a_setting(owner, api_client_for, field, value):
    # given
    version = model_version(owner, write_file=False)
    # when
    response = api_client_for(owner).post(
        CONVERSATIONS, {"model_version_id": version.pk, field: value}, format="json"
    )
    # then
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(("field", "value"), SETTINGS)
def test_a_conversation_keeps_its_settings_when_a_path_is_sent(owner, api_client_for, field, value):
    # given
    chat = conversation(owner, personality="sage")
    # when
    response = api_client_for(owner).patch(f"{CONVERSATIONS}{chat.pk}/", {field: value}, format="json")
    # then
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    chat.refresh_from_db()
    assert (chat.personality_version.personality.archetype, chat.qtype) == ("sage", "")


@pytest.mark.parametrize("qtype", PATHS)
def test_a_model_name_with_a_path_for_its_quantization_names_no_file(owner, qtype):
    # given a ready version, as the OpenAI-compatible API looks models up
    model_version(owner, write_file=False)
    # when / then
    with pytest.raises(NotFound):
        model_resolve(user=owner, name=f"tiny:1.0.0:{qtype}")
