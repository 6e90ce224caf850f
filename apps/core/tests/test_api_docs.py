"""The OpenAPI schema and its documentation page are served under /api/v1/."""

import pytest

pytestmark = pytest.mark.django_db


def test_schema_lists_the_api_and_the_docs_page_renders(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/v1/docs/")
    # then
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/tokens/", "/api/v1/datasets/", "/api/v1/training-runs/"} <= set(paths)
    assert "bearerAuth" in schema.json()["components"]["securitySchemes"]
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_every_operation_documents_its_errors_and_v1_is_listed(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    # then
    operations = {f"{method.upper()} {path}": operation
                  for path, item in schema["paths"].items() for method, operation in item.items()}
    undocumented = sorted(name for name, operation in operations.items()
                          if not {"400", "401"} <= set(operation["responses"])
                          or ("{" in name and "404" not in operation["responses"]))
    assert not undocumented
    error = operations["DELETE /api/v1/datasets/{dataset_id}/"]["responses"]["409"]
    assert error["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"}
    assert {"POST /v1/chat/completions", "POST /v1/completions", "POST /v1/embeddings",
            "GET /v1/models", "GET /v1/models/{model}"} <= set(operations)


def _operations(client) -> dict[str, dict]:
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return {f"{method.upper()} {path}": operation
            for path, item in schema["paths"].items() for method, operation in item.items()}


def test_a_spent_chat_quota_is_a_documented_429_with_retry_after(make_user, api_client_for):
    # given a user whose daily chat tokens are spent
    from apps.chat.tests.factories import conversation
    from apps.quotas.tests.factories import override

    owner = make_user()
    override(user=owner, chat_tokens_per_day=0)
    client = api_client_for(owner)
    chat = conversation(owner)
    # when they send a message, and read the schema of that operation
    refused = client.post(f"/api/v1/chat/conversations/{chat.pk}/messages/", {"content": "Hi"}, format="json")
    documented = _operations(client)["POST /api/v1/chat/conversations/{conversation_id}/messages/"]
    # then the refusal is a 429 the schema lists, with the Retry-After it carries
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    answer = documented["responses"]["429"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    assert answer["headers"]["Retry-After"]["required"] is True


def test_every_operation_documents_the_busy_answer_with_retry_after(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    operations = _operations(client)
    # then any request may find the database busy, and is told when to retry
    api = {name: operation for name, operation in operations.items() if " /api/" in name}
    assert all("Retry-After" in operation["responses"]["503"]["headers"] for operation in api.values())
