"""Two users, every API route: one user's ids answer 404 to the other, and lists show only
one's own rows. A route added to /api/v1/ without a case here fails `test_every_route_is_covered`.

To cover a new route, add an entry to OWNED_ROUTES (a function that creates the owner's
object and returns the URL kwargs, and the methods to try) or, for routes that hold no
user-owned ids, to ACCOUNT_ROUTES with the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    # Creates the owner's object; returns (url kwargs for detail routes, a marker string
    # that must not appear in the other user's list responses).
    setup: Callable
    # HTTP methods the other user tries on the route, with a body for writes.
    methods: dict[str, dict | None] = field(default_factory=lambda: {"get": None})


def _token(user):
    from apps.accounts.services import api_token_create

    created = api_token_create(user=user, name="owner-secret-token-name")
    return {"token_id": created.token.pk}, "owner-secret-token-name"


OWNED_ROUTES: dict[str, Case] = {
    "api-v1:tokens": Case(setup=_token, methods={"get": None}),
    "api-v1:token-detail": Case(setup=_token, methods={"delete": None}),
}

# Routes that carry no user-owned id; each says why.
ACCOUNT_ROUTES = {
    "api-v1:me": "describes the requesting user only",
    "api-v1:schema": "the public API description",
    "api-v1:docs": "the public API documentation page",
}


def _api_route_names(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _api_route_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and namespace.startswith("api-v1:"):
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_route_is_covered():
    routes = _api_route_names(get_resolver().url_patterns)
    uncovered = routes - OWNED_ROUTES.keys() - ACCOUNT_ROUTES.keys()
    assert not uncovered, f"add these routes to the ownership matrix: {sorted(uncovered)}"
    assert routes >= OWNED_ROUTES.keys(), "the matrix names a route that no longer exists"


@pytest.mark.parametrize("route", sorted(OWNED_ROUTES))
def test_other_users_ids_are_not_found_and_lists_are_private(route, make_user, api_client_for):
    # given
    owner, intruder = make_user(), make_user()
    case = OWNED_ROUTES[route]
    kwargs, marker = case.setup(owner)
    is_detail = _route_takes_kwargs(route)
    url = reverse(route, kwargs=kwargs if is_detail else None)
    client = api_client_for(intruder)
    for method, body in case.methods.items():
        # when
        response = getattr(client, method)(url, body, format="json")
        # then
        if is_detail:
            assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
        else:
            assert response.status_code == 200
            assert marker not in response.content.decode()
    if not is_detail:
        # and the owner's own list does show it, so the check above can fail
        assert marker in api_client_for(owner).get(url).content.decode()


def _route_takes_kwargs(route: str) -> bool:
    try:
        reverse(route)
    except NoReverseMatch:
        return True
    return False
