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
