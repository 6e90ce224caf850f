"""Every path under /api/ and /v1/ answers JSON errors in one shape, and input that the
database or the parser cannot take is the client's 400, never a 500."""

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from apps.accounts.services import api_token_create

pytestmark = pytest.mark.django_db

DEEP = "[" * 200_000  # far past Python's recursion limit when parsed


def _bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t').secret}"}


def test_deeply_nested_json_is_refused_with_a_400(make_user, api_client_for, client):
    # given
    user = make_user()
    # when
    api = api_client_for(user).post("/api/v1/datasets/", DEEP, content_type="application/json")
    openai = client.post("/v1/chat/completions", DEEP, content_type="application/json",
                         **_bearer(user))
    # then
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "parse_error"
    assert "nested more than" in api.json()["error"]["message"]
    assert openai.status_code == 400
    assert "nested more than" in openai.json()["error"]["message"]


def test_nul_in_a_query_parameter_or_json_string_is_a_400_naming_it(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    search = client.get("/api/v1/chat/conversations/?search=%00")
    body = client.post("/api/v1/datasets/", {"name": "poems\u0000"}, format="json")
    # then
    assert search.status_code == 400
    assert search.json()["error"]["fields"] == {"search": ["Must not contain the NUL character (%00)."]}
    assert body.status_code == 400
    assert list(body.json()["error"]["fields"]) == ["name"]


@pytest.mark.parametrize("method,path", [
    ("get", "/api/v1/datasets/-1/"),
    ("get", "/api/v1/no-such-thing/"),
    ("post", "/api/v1/"),
    ("get", "/api/elsewhere"),
])
def test_unknown_api_paths_answer_a_json_404(method, path, make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    response = getattr(client, method)(path)
    # then
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_v1_paths_answer_a_json_404_in_openais_shape(make_user, client):
    # when
    response = client.get("/v1/no-such-thing", **_bearer(make_user()))
    # then
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_an_unexpected_failure_answers_json_without_server_details(make_user, api_client_for,
                                                                    monkeypatch):
    # given a bug in a view
    def broken(**kwargs):
        raise RuntimeError("secret server detail")

    monkeypatch.setattr("apps.datasets.apis.dataset_list", broken)
    client = api_client_for(make_user())
    client.raise_request_exception = False
    # when
    response = client.get("/api/v1/datasets/")
    # then
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "secret" not in response.content.decode()


def test_a_missing_object_in_the_file_store_is_not_answered_as_try_again(make_user, api_client_for,
                                                                         monkeypatch):
    # given a view whose stored object is gone from the bucket (no retry brings it back)
    def gone(**kwargs):
        raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."},
                           "ResponseMetadata": {"HTTPStatusCode": 404}}, "GetObject")

    monkeypatch.setattr("apps.datasets.apis.dataset_list", gone)
    client = api_client_for(make_user())
    client.raise_request_exception = False
    # when
    response = client.get("/api/v1/datasets/")
    # then it is a logged server error, not a 503 telling the client to repeat it
    assert response.status_code == 500 and "Retry-After" not in response
    assert response.json()["error"]["code"] == "server_error"


def test_a_file_store_out_of_reach_on_the_openai_api_is_a_503_in_openais_shape(make_user, client, monkeypatch):
    # given an OpenAI-compatible view that cannot reach the bucket
    def unreachable(user):
        raise EndpointConnectionError(endpoint_url="http://bucket.invalid")

    monkeypatch.setattr("apps.chat.openai_api._model_entries", unreachable)
    client.raise_request_exception = False
    # when
    response = client.get("/v1/models", **_bearer(make_user()))
    # then the client is told to repeat it, in OpenAI's error shape
    assert response.status_code == 503 and response["Retry-After"]
    error = response.json()["error"]
    assert error["type"] == "server_error" and error["code"] == "storage_unavailable"
