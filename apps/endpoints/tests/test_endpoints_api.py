"""Registering remote endpoints through the REST API: the base URL passes the outbound rules
and the model list is fetched before anything is stored; the key is sealed and only its hint
comes back; endpoints are their owner's alone."""

from __future__ import annotations

import json
import socket

import pytest

from apps.core import outbound
from apps.core.sealed import unseal
from apps.endpoints.models import RemoteEndpoint

from .factories import remote_endpoint
from .stub_server import stub_server

pytestmark = pytest.mark.django_db
ENDPOINTS = "/api/v1/endpoints/"
LOOPBACK = ["127.0.0.1/32"]


@pytest.fixture
def no_connections(monkeypatch):
    """Fails the test if an outbound request opens a connection (every one opens through
    `_connected`; the database and Redis connect as usual)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(outbound, "_connected", refuse)


@pytest.mark.parametrize(("base_url", "why"), [
    ("http://127.0.0.1:8000/v1", "address 127.0.0.1 is loopback"),
    ("http://10.1.2.3/v1", "address 10.1.2.3 is private"),
    ("http://169.254.169.254/v1", "address 169.254.169.254 is link-local"),
    ("ftp://models.example/v1", "only http and https URLs are allowed"),
    ("https://me:pw@93.184.216.34/v1", "credentials in the URL are not allowed"),
    ("https://models.example/my models/v1",
     "use an http(s) URL without spaces or non-ASCII characters (percent-encode them)"),
])
def test_a_base_url_into_the_servers_own_networks_is_refused_before_any_connection(
        base_url, why, settings, make_user, api_client_for, no_connections):
    # given nothing allowed beyond the public internet
    settings.SLOUGHGPT_OUTBOUND_ALLOW = []
    client = api_client_for(make_user())
    # when
    response = client.post(ENDPOINTS, {"name": "inside", "base_url": base_url, "api_key": "sk-1"}, format="json")
    # then the field is named with the reason, and nothing was stored (nor sent: the guard)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["base_url"] == [why]
    assert not RemoteEndpoint.objects.exists()


def test_registering_fetches_the_models_sends_the_key_and_shows_only_its_hint(settings, make_user, api_client_for):
    # given an allowed server listing two models
    settings.SLOUGHGPT_OUTBOUND_ALLOW = LOOPBACK
    client = api_client_for(make_user())
    body = json.dumps({"data": [{"id": "zeta"}, {"id": "alpha/large"}]}).encode()
    with stub_server(models_body=body) as stub:
        # when
        response = client.post(ENDPOINTS, {"name": "lab", "base_url": stub.base_url + "/",
                                            "api_key": "sk-remote-secret-9876"}, format="json")
    # then
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["models"] == [{"id": "remote/lab/alpha/large", "model": "alpha/large"},
                              {"id": "remote/lab/zeta", "model": "zeta"}]
    assert made["api_key_hint"] == "…9876" and "api_key" not in made
    assert "sk-remote-secret" not in json.dumps(client.get(ENDPOINTS).json())
    path, headers, _ = stub.requests[0]
    assert path == "/v1/models" and headers["Authorization"] == "Bearer sk-remote-secret-9876"
    stored = RemoteEndpoint.objects.get()
    assert stored.base_url == stub.base_url  # the trailing slash trimmed
    assert "sk-remote" not in stored.api_key_sealed and unseal(stored.api_key_sealed) == "sk-remote-secret-9876"


def test_an_endpoint_that_times_out_or_answers_garbage_is_refused_naming_the_field(
        settings, make_user, api_client_for):
    # given an allowed port that never answers, and a server whose model list is not one
    settings.SLOUGHGPT_OUTBOUND_ALLOW = LOOPBACK
    settings.SLOUGHGPT_OUTBOUND_TIMEOUT_S = 1
    client = api_client_for(make_user())
    with socket.socket() as silent, stub_server(models_body=b"<html>hello</html>") as garbage:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        # when
        late = client.post(ENDPOINTS, {"name": "late", "base_url": f"http://127.0.0.1:{silent.getsockname()[1]}/v1"},
                           format="json")
        odd = client.post(ENDPOINTS, {"name": "odd", "base_url": garbage.base_url}, format="json")
    # then
    assert late.status_code == odd.status_code == 400
    assert late.json()["error"]["fields"]["base_url"] == ["127.0.0.1 did not answer within 1 s"]
    assert odd.json()["error"]["fields"]["base_url"] == [
        "the endpoint's answer to GET /models is not an OpenAI model list"]
    assert not RemoteEndpoint.objects.exists()


def test_a_refresh_that_fails_keeps_the_models_and_shows_why(settings, make_user, api_client_for):
    # given an endpoint whose server now answers garbage
    settings.SLOUGHGPT_OUTBOUND_ALLOW = LOOPBACK
    user = make_user()
    client = api_client_for(user)
    with stub_server(models_body=b"[1, 2]") as stub:
        endpoint = remote_endpoint(user, "lab", base_url=stub.base_url, models=("old",))
        # when
        refreshed = client.post(f"{ENDPOINTS}{endpoint.pk}/refresh/").json()
        stub.models_body = b'{"data": [{"id": "new"}]}'
        fixed = client.post(f"{ENDPOINTS}{endpoint.pk}/refresh/").json()
    # then
    assert refreshed["models"] == [{"id": "remote/lab/old", "model": "old"}]
    assert refreshed["last_error"] == "the endpoint's answer to GET /models is not an OpenAI model list"
    assert fixed["models"] == [{"id": "remote/lab/new", "model": "new"}] and fixed["last_error"] == ""


def test_another_user_can_neither_see_nor_use_my_endpoint(make_user, api_client_for):
    # given my endpoint
    me, stranger = make_user(), make_user()
    mine = remote_endpoint(me, "mine", models=("tiny",))
    client = api_client_for(stranger)
    # when
    listed = client.get(ENDPOINTS).json()["results"]
    detail = client.get(f"{ENDPOINTS}{mine.pk}/")
    renamed = client.patch(f"{ENDPOINTS}{mine.pk}/", {"name": "taken"}, format="json")
    deleted = client.delete(f"{ENDPOINTS}{mine.pk}/")
    chat = client.post("/api/v1/chat/conversations/", {"remote_endpoint_id": mine.pk, "remote_model": "tiny"},
                       format="json")
    # then
    assert listed == []
    assert detail.status_code == renamed.status_code == deleted.status_code == chat.status_code == 404
    assert RemoteEndpoint.objects.get().name == "mine"


def test_the_number_of_endpoints_is_capped(settings, make_user, api_client_for):
    # given a user at the cap
    settings.SLOUGHGPT_ENDPOINTS_MAX = 1
    user = make_user()
    remote_endpoint(user, "first")
    # when
    response = api_client_for(user).post(ENDPOINTS, {"name": "second", "base_url": "https://models.example/v1"},
                                         format="json")
    # then
    assert response.status_code == 400
    assert "the most allowed" in response.json()["error"]["fields"]["name"][0]


def test_a_conversation_takes_a_model_version_or_a_remote_model_not_both(make_user, api_client_for):
    # given
    from apps.chat.tests.factories import model_version

    user = make_user()
    version = model_version(user, write_file=False)
    endpoint = remote_endpoint(user, "lab", models=("tiny",))
    client = api_client_for(user)
    # when
    both = client.post("/api/v1/chat/conversations/", {"model_version_id": version.pk, "remote_endpoint_id": endpoint.pk,
                                                  "remote_model": "tiny"}, format="json")
    unlisted = client.post("/api/v1/chat/conversations/", {"remote_endpoint_id": endpoint.pk, "remote_model": "other"},
                           format="json")
    remote = client.post("/api/v1/chat/conversations/", {"remote_endpoint_id": endpoint.pk, "remote_model": "tiny"},
                         format="json")
    # then
    assert both.status_code == unlisted.status_code == 400
    assert "exactly one" in both.json()["error"]["fields"]["model_version_id"][0]
    assert "lists no model 'other'" in unlisted.json()["error"]["fields"]["remote_model"][0]
    assert remote.status_code == 201
    assert remote.json()["model_name"] == "remote/lab/tiny" and remote.json()["model_version_id"] is None


def test_a_conversation_moves_between_a_remote_model_and_a_version(make_user, api_client_for):
    # given a conversation with a remote model
    from apps.chat.tests.factories import model_version

    user = make_user()
    version = model_version(user, write_file=False)
    endpoint = remote_endpoint(user, "lab", models=("tiny", "big"))
    client = api_client_for(user)
    made = client.post("/api/v1/chat/conversations/", {"remote_endpoint_id": endpoint.pk, "remote_model": "tiny"},
                       format="json").json()
    url = f"/api/v1/chat/conversations/{made['id']}/"
    # when its settings are saved as the portal sends them, then it moves to another model
    saved = client.patch(url, {"qtype": "", "temperature": 0.5}, format="json")
    bigger = client.patch(url, {"remote_endpoint_id": endpoint.pk, "remote_model": "big"}, format="json")
    local = client.patch(url, {"model_version_id": version.pk, "qtype": ""}, format="json")
    # then
    assert saved.status_code == 200 and saved.json()["model_name"] == "remote/lab/tiny"
    assert bigger.json()["model_name"] == "remote/lab/big"
    assert local.json()["model_name"] == "tiny:1.0.0"
    assert local.json()["remote_endpoint_id"] is None and local.json()["remote_model"] == ""


def test_a_key_that_cannot_be_sent_as_a_header_is_refused_naming_it(make_user, api_client_for, no_connections):
    # given
    client = api_client_for(make_user())
    # when
    response = client.post(ENDPOINTS, {"name": "lab", "base_url": "https://models.example/v1",
                                       "api_key": "sk-1\r\nX-Injected: yes"}, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["api_key"] == [
        "paste the key as the server gave it: printable ASCII, no spaces"]


@pytest.mark.parametrize("message", [5, {"a": 1}, ["x"], None])
def test_a_refusal_whose_message_is_not_text_is_a_400_naming_the_status(message, settings, make_user, api_client_for):
    # given a server refusing GET /models with an error message of another JSON type
    settings.SLOUGHGPT_OUTBOUND_ALLOW = LOOPBACK
    client = api_client_for(make_user())
    body = json.dumps({"error": {"message": message}}).encode()
    with stub_server(models_body=body, models_status=400) as stub:
        # when
        response = client.post(ENDPOINTS, {"name": "odd", "base_url": stub.base_url}, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["base_url"][0].startswith("the endpoint answered HTTP 400")


def test_a_refusal_echoing_the_key_is_shown_without_it(settings, make_user, api_client_for):
    # given a gateway that echoes the key it refuses, and the request's Authorization header
    settings.SLOUGHGPT_OUTBOUND_ALLOW = LOOPBACK
    client = api_client_for(make_user())
    body = json.dumps({"error": {"message": "Invalid API key sk-remote-secret-9876; got "
                                            "'Authorization: Bearer sk-remote-secret-9876'"}}).encode()
    with stub_server(models_body=body, models_status=401) as stub:
        # when
        response = client.post(ENDPOINTS, {"name": "lab", "base_url": stub.base_url,
                                           "api_key": "sk-remote-secret-9876"}, format="json")
    # then
    why = response.json()["error"]["fields"]["api_key"][0]
    assert response.status_code == 400 and why.startswith("the endpoint answered HTTP 401: Invalid API key")
    assert "9876" not in why and "secret" not in why


def test_moving_the_base_url_to_another_server_needs_the_key_again(settings, make_user, api_client_for):
    # given my endpoint, with its key, on one server, and another server
    settings.SLOUGHGPT_OUTBOUND_ALLOW = LOOPBACK
    user = make_user()
    client = api_client_for(user)
    with stub_server() as home, stub_server() as elsewhere:
        endpoint = remote_endpoint(user, "lab", base_url=home.base_url, api_key="sk-remote-secret-9876")
        # when I change only its URL, then the URL with a key
        moved = client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"base_url": elsewhere.base_url}, format="json")
        asked = list(elsewhere.requests)
        rekeyed = client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"base_url": elsewhere.base_url, "api_key": "sk-new-1"},
                               format="json")
    # then the stored key was never sent to the new server
    assert moved.status_code == 400
    assert moved.json()["error"]["fields"]["api_key"] == ["enter the key again to use it with a new server"]
    assert asked == []
    assert rekeyed.status_code == 200 and rekeyed.json()["base_url"] == elsewhere.base_url
    assert elsewhere.requests[0][1]["Authorization"] == "Bearer sk-new-1"


def test_a_key_that_no_longer_opens_asks_for_it_again(settings, make_user, api_client_for):
    # given an endpoint whose sealed key cannot be opened (the sealing keys were rotated)
    settings.SLOUGHGPT_OUTBOUND_ALLOW = LOOPBACK
    user = make_user()
    with stub_server() as stub:
        endpoint = remote_endpoint(user, "lab", base_url=stub.base_url)
        RemoteEndpoint.objects.filter(pk=endpoint.pk).update(api_key_sealed="v1.sealed-with-an-old-key")
        # when I change its path on the same server
        response = api_client_for(user).patch(f"{ENDPOINTS}{endpoint.pk}/", {"base_url": stub.base_url + "/"},
                                              format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["api_key"][0].endswith("enter the key again")
