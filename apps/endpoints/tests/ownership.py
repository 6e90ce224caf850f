"""Ownership-matrix cases for the remote endpoint routes: endpoints are never shared (their
key is their owner's alone)."""

from apps.core.ownership import Case


def _endpoint(user):
    from .factories import remote_endpoint

    endpoint = remote_endpoint(user, "owner-secret-endpoint")
    return {"endpoint_id": endpoint.pk}, "owner-secret-endpoint"


def _refresh_prepare(monkeypatch):
    # The refresh asks the endpoint's server, which the matrix does not run: it lists one model.
    monkeypatch.setattr("apps.endpoints.services.models_fetch", lambda base_url, api_key: ["tiny"])


OWNED_ROUTES = {
    "api-v1:endpoints": Case(setup=_endpoint, reach="private"),
    "api-v1:endpoint-detail": Case(setup=_endpoint, methods={"get": None, "patch": {"name": "renamed"},
                                                             "delete": None}, reach="private"),
    "api-v1:endpoint-refresh": Case(setup=_endpoint, methods={"post": None}, reach="private",
                                    prepare=_refresh_prepare),
}
