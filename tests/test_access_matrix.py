"""Two users, every API route: one user's ids answer 404 to the other, and lists show only
one's own rows. A route added to /api/v1/ or /api/2.0/ without a case in its app's
`tests/ownership.py` (see apps/core/ownership.py) fails `test_every_route_is_covered`."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db


def _cases() -> tuple[dict, dict]:
    owned, public = {}, {}
    for app in settings.INSTALLED_APPS:
        if app.startswith("apps.") and find_spec(f"{app}.tests.ownership") is not None:
            module = import_module(f"{app}.tests.ownership")
            owned.update(getattr(module, "OWNED_ROUTES", {}))
            public.update(getattr(module, "PUBLIC_ROUTES", {}))
    return owned, public


OWNED_ROUTES, PUBLIC_ROUTES = _cases()
# /api/v1/ and the MLflow-compatible /api/2.0/.
NAMESPACES = ("api-v1:", "mlflow:")


def _api_route_names(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _api_route_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and namespace.startswith(NAMESPACES):
            names.add(f"{namespace}{entry.name}")
    return names


def _is_detail(route: str) -> bool:
    try:
        reverse(route)
    except NoReverseMatch:
        return True
    return False


def test_every_route_is_covered():
    routes = _api_route_names(get_resolver().url_patterns)
    uncovered = routes - OWNED_ROUTES.keys() - PUBLIC_ROUTES.keys()
    assert not uncovered, f"add these routes to their app's tests/ownership.py: {sorted(uncovered)}"
    assert routes >= OWNED_ROUTES.keys(), "a case names a route that no longer exists"


@pytest.mark.parametrize("route", sorted(OWNED_ROUTES))
def test_other_users_ids_are_not_found_and_lists_are_private(route, make_user, api_client_for):
    # given
    owner, intruder = make_user(), make_user()
    case = OWNED_ROUTES[route]
    kwargs, marker = case.setup(owner)
    if case.ids_in_body:
        detail, url = case.ids_in_body == "detail", reverse(route)
        bodies = {method: body(kwargs) for method, body in case.methods.items()}
    else:
        detail, bodies = _is_detail(route), case.methods
        url = reverse(route, kwargs=kwargs if detail else None)
    client = api_client_for(intruder)
    for method, body in bodies.items():
        # when
        response = getattr(client, method)(url, body, format="json")
        # then
        if detail:
            assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
        else:
            assert response.status_code in (200, 201), f"{method.upper()} {url}"
            assert marker not in response.content.decode()
    if not detail:
        # and the owner's own list does show it, so the check above can fail
        method, body = next(iter(bodies.items())) if case.ids_in_body else ("get", None)
        mine = getattr(api_client_for(owner), method)(url, body, format="json")
        assert marker in mine.content.decode()
