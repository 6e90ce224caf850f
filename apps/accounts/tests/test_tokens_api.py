"""Personal API tokens through the REST API: the secret is shown once, tokens authenticate
as Bearer, revoked and expired tokens are refused with a reason, bad input gets a 4xx."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import ApiToken

pytestmark = pytest.mark.django_db
TOKENS = "/api/v1/tokens/"


def test_create_shows_the_secret_once_and_the_list_never_does(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    created = client.post(TOKENS, {"name": "laptop"}, format="json")
    listed = client.get(TOKENS)
    # then
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("sg_" + created.json()["prefix"] + "_")
    rows = listed.json()["results"]
    assert [r["name"] for r in rows] == ["laptop"]
    assert set(rows[0]) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at"}
    assert secret not in listed.content.decode()
    assert not ApiToken.objects.filter(token_hash=secret).exists()  # stored hashed


def test_bearer_token_authenticates_and_records_last_use(make_user, api_client_for):
    # given
    user = make_user()
    secret = api_client_for(user).post(TOKENS, {"name": "ci"}, format="json").json()["token"]
    # when
    response = api_client_for().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    # then
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert ApiToken.objects.get(owner=user).last_used_at is not None


def test_several_tokens_each_work_and_revoking_one_leaves_the_others(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    first = client.post(TOKENS, {"name": "one"}, format="json").json()
    second = client.post(TOKENS, {"name": "two"}, format="json").json()
    # when
    revoked = client.delete(f"{TOKENS}{first['id']}/")
    # then
    assert revoked.status_code == 204
    anonymous = api_client_for()
    refused = anonymous.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {first['token']}")
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "This API token has been revoked."
    ok = anonymous.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {second['token']}")
    assert ok.status_code == 200
    assert [r["name"] for r in client.get(TOKENS).json()["results"]] == ["two"]


def test_expired_token_is_refused_with_its_reason(make_user, api_client_for):
    # given
    user = make_user()
    created = api_client_for(user).post(
        TOKENS, {"name": "short", "expires_in_days": 1}, format="json"
    ).json()
    ApiToken.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(1))
    # when
    response = api_client_for().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    # then
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "header",
    ["Bearer ", "Bearer sg_nothex_abc", "Bearer sg_0000aaaa_wrong-secret", "Bearer garbage"],
)
def test_malformed_or_unknown_tokens_get_401(api_client_for, header):
    response = api_client_for().get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["message"]


def test_session_writes_need_csrf_but_token_writes_do_not(make_user, api_client_for):
    # given
    user = make_user()
    session_client = api_client_for(user, enforce_csrf=True)
    secret = api_client_for(user).post(TOKENS, {"name": "t"}, format="json").json()["token"]
    # when
    without_csrf = session_client.post(TOKENS, {"name": "x"}, format="json")
    with_token = api_client_for(enforce_csrf=True).post(
        TOKENS, {"name": "y"}, format="json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    # then
    assert without_csrf.status_code == 403
    assert "CSRF" in without_csrf.json()["error"]["message"]
    assert with_token.status_code == 201


def test_anonymous_requests_are_refused(api_client_for):
    response = api_client_for().get(TOKENS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "name", "This field is required."),
        ({"name": ""}, "name", "This field may not be blank."),
        ({"name": ["a"]}, "name", "Not a valid string."),
        ({"name": "x" * 101}, "name", "Ensure this field has no more than 100 characters."),
        ({"name": "ok", "expires_in_days": "soon"}, "expires_in_days", "A valid integer is required."),
        ({"name": "ok", "expires_in_days": 0}, "expires_in_days", "greater than or equal to 1"),
    ],
)
def test_invalid_fields_are_named_in_the_error(make_user, api_client_for, body, field, message):
    response = api_client_for(make_user()).post(TOKENS, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(message in m for m in error["fields"][field])


def test_malformed_json_is_a_400_that_says_so(make_user, api_client_for):
    response = api_client_for(make_user()).post(
        TOKENS, data='{"name": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


def test_oversize_body_is_a_413(make_user, api_client_for, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    # when
    response = api_client_for(make_user()).post(
        TOKENS, data='{"name": "' + "x" * 4096 + '"}', content_type="application/json"
    )
    # then
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_unknown_token_id_is_a_404(make_user, api_client_for):
    response = api_client_for(make_user()).delete(f"{TOKENS}999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_token_limit_is_enforced(make_user, api_client_for, monkeypatch):
    # given
    monkeypatch.setattr("apps.accounts.services.MAX_TOKENS_PER_USER", 2)
    client = api_client_for(make_user())
    client.post(TOKENS, {"name": "a"}, format="json")
    client.post(TOKENS, {"name": "b"}, format="json")
    # when
    third = client.post(TOKENS, {"name": "c"}, format="json")
    # then
    assert third.status_code == 400
    assert "revoke one first" in third.json()["error"]["fields"]["name"][0]
