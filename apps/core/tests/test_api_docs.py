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
